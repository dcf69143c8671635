"""Plotting helpers shared by the playground and the labs: surfaces and optimizer races.

- :func:`draw_surface`: contour lines of a 2-D surface (log-spaced around its minimum),
  its minima (stars) and saddle points (crosses), in the surface's window.
- :func:`set_loss_scale`: the y scale for loss against step: log of ``f - f*``, or symlog of
  ``f`` when the surface is unbounded below.
- :func:`plot_race`: contours with one trajectory per optimizer, and the loss against step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from course_lib.viz.surfaces import Surface

__all__ = ["COLORS", "draw_surface", "loss_for_plot", "plot_race", "set_loss_scale"]

#: A stable colour per optimizer name (matplotlib's tab10), so plots agree with each other.
COLORS = {
    "GD": "#1f77b4",
    "momentum": "#ff7f0e",
    "Nesterov": "#2ca02c",
    "AdaGrad": "#d62728",
    "RMSProp": "#9467bd",
    "Adam": "#8c564b",
}

#: Gaps below this are drawn at it: float64 cannot resolve f - f* much further.
LOSS_FLOOR = 1e-16


def draw_surface(ax: Any, surface: Surface, resolution: int = 200, levels: int = 25) -> np.ndarray:
    """Contour lines of ``surface`` on ``ax``, its minima and saddle points, its window.

    Levels are evenly spaced in ``log10(f - f*)`` (so that both the steep walls and the flat
    floor show), or in ``f`` for a surface unbounded below.

    Args:
        ax: a matplotlib Axes.
        surface: the surface.
        resolution: grid points per side.
        levels: the number of contour levels.
    Returns:
        The values of ``f`` on the grid, shape ``(resolution, resolution)``.
    """
    (x0, x1), (y0, y1) = surface.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    z = np.asarray(surface.f(gx, gy), dtype=float)
    shown = z if surface.min_value is None else np.log10(np.maximum(surface.gap(z), 1e-12))
    ax.contour(gx, gy, shown, levels=levels, cmap="viridis", linewidths=0.8)
    for points, marker in ((surface.minima, "*"), (surface.saddle_points, "x")):
        if len(points):
            ax.plot(points[:, 0], points[:, 1], marker, color="k", ms=12, ls="none")
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="x", ylabel="y", title=surface.name)
    return z


def loss_for_plot(surface: Surface, values: np.ndarray) -> np.ndarray:
    """What a loss plot shows: ``f - f*`` floored at :data:`LOSS_FLOOR`, or ``f`` if unbounded."""
    gap = surface.gap(values)
    return gap if surface.min_value is None else np.maximum(gap, LOSS_FLOOR)


def set_loss_scale(ax: Any, surface: Surface, z: np.ndarray | None = None) -> None:
    """Log scale for ``f - f*``; symlog for ``f`` when unbounded, limited to ``z``'s range."""
    if surface.min_value is None:
        ax.set_yscale("symlog", linthresh=1e-3)
        if z is not None:
            ax.set_ylim(float(np.min(z)), float(np.max(z)))
        ax.set_ylabel("f(x, y)")
    else:
        ax.set_yscale("log")
        ax.set_ylabel("f(x, y) - f*")
    ax.set_xlabel("step")
    ax.grid(True, which="major", alpha=0.3)


def plot_race(surface: Surface, paths: Mapping[str, np.ndarray], title: str | None = None) -> Any:
    """Trajectories on the contours (left) and loss against step (right).

    Args:
        surface: the surface they ran on.
        paths: ``{name: (steps + 1, 2) array}``, e.g. from
            :func:`course_lib.viz.playground.run_trajectories`.
        title: an optional figure title.
    Returns:
        The matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=(1.1, 1))
    z = draw_surface(ax, surface)
    with np.errstate(over="ignore", invalid="ignore"):
        for i, (name, path) in enumerate(paths.items()):
            color = COLORS.get(name, f"C{i}")
            ax.plot(path[:, 0], path[:, 1], "-", color=color, lw=1.5, label=name)
            ax.plot(path[-1:, 0], path[-1:, 1], "o", color=color, ms=5)
            ax_loss.plot(loss_for_plot(surface, surface.value(path)), color=color, label=name)
    set_loss_scale(ax_loss, surface, z)
    ax_loss.set_title("loss")
    if paths:
        ax_loss.legend(fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
