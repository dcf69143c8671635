"""Plots (matplotlib) and widgets (ipywidgets) for the labs.

One line per module below; ipywidgets is imported only when a widget is built.

- :mod:`course_lib.viz.surfaces`: 2-D test surfaces (value, gradient, bounds, minima).
- :mod:`course_lib.viz.plots`: contour plots of a surface and races of optimizers on it.
- :mod:`course_lib.viz.playground`: optimizer trajectories and the ``OptimizerPlayground``.
"""

from course_lib.viz.playground import OptimizerPlayground, run_trajectories
from course_lib.viz.plots import draw_surface, plot_race
from course_lib.viz.surfaces import SURFACES, NoisySurface, Surface, make_surface

__all__ = [
    "SURFACES",
    "NoisySurface",
    "OptimizerPlayground",
    "Surface",
    "draw_surface",
    "make_surface",
    "plot_race",
    "run_trajectories",
]
