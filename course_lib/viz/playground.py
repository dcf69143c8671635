"""The optimizer playground: trajectories of the engine's optimizers on 2-D surfaces.

Two layers:

- :func:`run_trajectories`, pure logic: put the point in a :class:`~course_lib.engine.nn.Parameter`,
  build each optimizer from :mod:`course_lib.engine.optim` (the same classes that train the
  networks, so there is no second copy of any update rule), and record every step.
- :class:`OptimizerPlayground`, an ipywidgets 8 widget around it: controls on the left, and on
  the right a matplotlib figure (contours with every trajectory, loss against step on a log
  scale) rendered to a PNG in a ``widgets.Image``, so it works in JupyterLab, classic Notebook
  and Voila without ipympl. A ``Play`` control animates the steps.

Example (no browser needed)::

    paths = run_trajectories(Rosenbrock(), {"GD": {"type": "SGD"},
                                            "Adam": {"type": "Adam"}},
                             start=(-1.2, 1.0), steps=500, lr=1e-3)
    paths["Adam"].shape     # (501, 2)

    pg = OptimizerPlayground(surface="Beale")
    pg.lr_slider.value = 3e-3          # recomputes at once
    pg.trajectories["Adam"][-1]        # where Adam ended
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from course_lib.engine import optim, schedules
from course_lib.engine.nn import Parameter
from course_lib.viz.plots import COLORS, draw_surface, loss_for_plot, set_loss_scale
from course_lib.viz.surfaces import SURFACES, Surface, make_surface

__all__ = [
    "OPTIMIZER_NAMES",
    "OptimizerPlayground",
    "SCHEDULE_NAMES",
    "optimizer_configs",
    "run_trajectories",
    "schedule_config",
]

Config = Mapping[str, Any]

#: A trajectory stops (the rest of its rows are NaN) once the point leaves this radius.
ESCAPE_RADIUS = 1e6

#: The optimizers the playground offers, in checkbox order.
OPTIMIZER_NAMES = ("GD", "momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")

#: The schedule menu: "constant" means no schedule.
SCHEDULE_NAMES = ("constant", "step", "exponential", "1/t", "cosine", "reduce on plateau")


def optimizer_configs(
    names: Sequence[str] = OPTIMIZER_NAMES,
    momentum: float = 0.9,
    beta1: float = 0.9,
    beta2: float = 0.999,
) -> dict[str, dict[str, Any]]:
    """The playground's optimizers as configs for :func:`run_trajectories`.

    GD is ``SGD``; momentum and Nesterov are ``SGD(momentum=momentum, nesterov=...)``;
    RMSProp averages squared gradients with ``alpha = beta2``; Adam uses ``(beta1, beta2)``.

    Args:
        names: a subset of :data:`OPTIMIZER_NAMES`.
        momentum, beta1, beta2: the hyperparameters the sliders set.
    Returns:
        ``{name: {"type": engine class name, **keyword arguments}}``.
    """
    table = {
        "GD": {"type": "SGD"},
        "momentum": {"type": "SGD", "momentum": momentum},
        "Nesterov": {"type": "SGD", "momentum": momentum, "nesterov": True},
        "AdaGrad": {"type": "AdaGrad"},
        "RMSProp": {"type": "RMSProp", "alpha": beta2},
        "Adam": {"type": "Adam", "betas": (beta1, beta2)},
    }
    unknown = [n for n in names if n not in table]
    if unknown:
        raise ValueError(f"optimizer_configs: unknown {unknown}; choose from {OPTIMIZER_NAMES}")
    return {n: table[n] for n in names}


def schedule_config(name: str, steps: int) -> dict[str, Any] | None:
    """A schedule from the playground's menu, scaled to a run of ``steps`` steps.

    step: halve every quarter of the run; exponential: decay to 1% by the end; 1/t:
    ``lr / (1 + 10 t / steps)``; cosine: anneal to 0 over the run; reduce on plateau:
    halve after 10 steps without improvement.

    Args:
        name: one of :data:`SCHEDULE_NAMES`.
        steps: the run length.
    Returns:
        ``{"type": engine class name, **keyword arguments}``, or ``None`` for "constant".
    """
    steps = max(int(steps), 1)
    table: dict[str, dict[str, Any] | None] = {
        "constant": None,
        "step": {"type": "StepLR", "step_size": max(steps // 4, 1), "gamma": 0.5},
        "exponential": {"type": "ExponentialLR", "gamma": 0.01 ** (1.0 / steps)},
        "1/t": {"type": "InverseTimeLR", "k": 10.0 / steps},
        "cosine": {"type": "CosineAnnealingLR", "T_max": steps},
        "reduce on plateau": {"type": "ReduceLROnPlateau", "factor": 0.5, "patience": 10},
    }
    if name not in table:
        raise ValueError(f"schedule_config: unknown schedule {name!r}; choose {SCHEDULE_NAMES}")
    return table[name]


def _build(module: Any, config: Config, first: Any, **defaults: Any) -> Any:
    """``module.<config['type']>(first, **defaults, **rest of config)``."""
    kwargs = dict(config)
    kind = kwargs.pop("type", None)
    cls = getattr(module, str(kind), None)
    if not isinstance(cls, type):
        raise ValueError(
            f"run_trajectories: config {dict(config)} needs 'type' naming a class of "
            f"{module.__name__}"
        )
    return cls(first, **{**defaults, **kwargs})


def _trajectory(
    grad: Callable[[float, float], tuple[float, float]],
    surface: Surface,
    config: Config,
    start: np.ndarray,
    steps: int,
    lr: float,
    schedule: Config | None,
) -> np.ndarray:
    param = Parameter(start.copy())
    optimizer = _build(optim, config, [param], lr=lr)
    scheduler = None if schedule is None else _build(schedules, schedule, optimizer)
    wants_loss = getattr(scheduler, "needs_metric", False)
    path = np.full((steps + 1, 2), np.nan)
    path[0] = start
    x, y = start.tolist()
    for t in range(1, steps + 1):
        gx, gy = grad(x, y)
        param.grad = np.array((gx, gy))
        optimizer.step()
        x, y = param.data.tolist()
        path[t] = x, y
        if not x * x + y * y < ESCAPE_RADIUS * ESCAPE_RADIUS:  # diverged, inf or NaN
            break
        if wants_loss:
            scheduler.step(surface.f(x, y))
        elif scheduler is not None:
            scheduler.step()
    return path


def run_trajectories(
    surface: Surface,
    optimizers: Mapping[str, Config],
    start: Sequence[float] | np.ndarray,
    steps: int,
    lr: float,
    schedule: Config | None = None,
) -> dict[str, np.ndarray]:
    """Run each optimizer from ``start`` on ``surface`` for ``steps`` steps.

    Each run is exactly the training loop ``param.grad = g; optimizer.step(); scheduler.step()``
    on a ``Parameter`` holding the point, with the engine's optimizer and schedule classes.
    Gradients come from ``surface.gradient_sampler()``, fresh for every optimizer, so on a
    :class:`~course_lib.viz.surfaces.NoisySurface` all of them see the same noise sequence.

    Args:
        surface: the function to minimise.
        optimizers: ``{name: {"type": "SGD" | "AdaGrad" | "RMSProp" | "Adam" | ..., **kwargs}}``;
            the kwargs go to the class (a config's own ``lr`` overrides the shared one).
        start: the starting point ``(x, y)``.
        steps: the number of optimizer steps, >= 0.
        lr: the learning rate shared by all optimizers.
        schedule: ``{"type": "StepLR" | ..., **kwargs}`` from :mod:`course_lib.engine.schedules`,
            or ``None``; ``ReduceLROnPlateau`` is stepped with the current loss.
    Returns:
        ``{name: array of shape (steps + 1, 2)}``: row ``t`` is the point after ``t`` steps.
        A run that diverges (leaves radius :data:`ESCAPE_RADIUS`, or reaches inf/NaN) stops
        there, and its remaining rows are NaN.
    """
    start = np.asarray(start, dtype=float)
    if start.shape != (2,):
        raise ValueError(f"run_trajectories: start must have shape (2,), got {start.shape}")
    if int(steps) != steps or steps < 0:
        raise ValueError(f"run_trajectories: steps must be a non-negative integer, got {steps}")
    paths = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name, config in optimizers.items():
            grad = surface.gradient_sampler()
            paths[name] = _trajectory(grad, surface, config, start, int(steps), lr, schedule)
    return paths


class OptimizerPlayground:
    """An interactive race of optimizers on a 2-D surface (ipywidgets 8 + matplotlib).

    Every control has a stable ``description`` (shown in parentheses) and the figure, step
    counter and timing carry CSS classes, so a browser test can find them:

    - ``surface_dropdown`` ("surface"), ``condition_slider`` ("condition number", the
      quadratic only), ``noise_slider`` ("gradient noise": wraps the surface in
      :class:`~course_lib.viz.surfaces.NoisySurface`);
    - ``optimizer_checkboxes[name]`` (the names of :data:`OPTIMIZER_NAMES`);
    - ``lr_slider`` ("learning rate", a ``FloatLogSlider``), ``momentum_slider``
      ("momentum"), ``beta1_slider`` ("beta1"), ``beta2_slider`` ("beta2");
    - ``steps_slider`` ("steps"), ``start_x_slider`` / ``start_y_slider`` ("start x",
      "start y"), ``schedule_dropdown`` ("schedule");
    - ``play`` ("play", a ``widgets.Play`` linked in the browser to ``step_slider``, "step";
      it repeats, so pressing play on the last step starts again from step 0),
      ``step_label`` (CSS class ``playground-step``, text ``"step N / M"``);
    - ``image`` (a ``widgets.Image`` holding the PNG, CSS class ``playground-figure``),
      ``timing_label`` (CSS class ``playground-timing``).

    Changing any control recomputes the trajectories (``trajectories``, ``losses``) and
    redraws the full runs; moving ``step_slider`` (or playing) redraws each path up to that
    step. ``figure`` is the matplotlib figure (also displayable on its own), ``widget`` the
    whole layout; displaying the playground displays ``widget``.

    Args:
        surface: a key of :data:`~course_lib.viz.surfaces.SURFACES`.
        optimizers: the names checked at start.
        lr: the learning rate; ``None`` takes the surface's ``default_lr``.
        steps: the number of steps.
        schedule: one of :data:`SCHEDULE_NAMES`.
        condition_number: kappa of the quadratic.
        noise: gradient noise; 0 for exact gradients.
    """

    def __init__(
        self,
        surface: str = "Rosenbrock",
        optimizers: Sequence[str] = ("GD", "momentum", "Adam"),
        lr: float | None = None,
        steps: int = 200,
        schedule: str = "constant",
        condition_number: float = 10.0,
        noise: float = 0.0,
    ) -> None:
        import ipywidgets as widgets

        if surface not in SURFACES:
            raise ValueError(
                f"OptimizerPlayground: unknown surface {surface!r}; choose {list(SURFACES)}"
            )
        wide = {"description_width": "110px"}
        layout = widgets.Layout(width="330px")
        self.surface_dropdown = widgets.Dropdown(
            options=list(SURFACES),
            value=surface,
            description="surface",
            style=wide,
            layout=layout,
        )
        self.condition_slider = widgets.FloatLogSlider(
            value=condition_number,
            base=10,
            min=0,
            max=3,
            step=0.05,
            description="condition number",
            style=wide,
            layout=layout,
        )
        self.noise_slider = widgets.FloatSlider(
            value=noise,
            min=0.0,
            max=10.0,
            step=0.1,
            description="gradient noise",
            style=wide,
            layout=layout,
        )
        self.optimizer_checkboxes = {
            name: widgets.Checkbox(
                value=name in optimizers,
                description=name,
                indent=False,
                layout=widgets.Layout(width="110px"),
            )
            for name in OPTIMIZER_NAMES
        }
        self.lr_slider = widgets.FloatLogSlider(
            value=1e-2,
            base=10,
            min=-5,
            max=1,
            step=0.05,
            description="learning rate",
            readout_format=".2e",
            style=wide,
            layout=layout,
        )
        self.momentum_slider = widgets.FloatSlider(
            value=0.9,
            min=0.0,
            max=0.99,
            step=0.01,
            description="momentum",
            style=wide,
            layout=layout,
        )
        self.beta1_slider = widgets.FloatSlider(
            value=0.9,
            min=0.0,
            max=0.99,
            step=0.01,
            description="beta1",
            style=wide,
            layout=layout,
        )
        self.beta2_slider = widgets.FloatSlider(
            value=0.999,
            min=0.5,
            max=0.9999,
            step=0.0001,
            readout_format=".4f",
            description="beta2",
            style=wide,
            layout=layout,
        )
        self.steps_slider = widgets.IntSlider(
            value=steps,
            min=10,
            max=1000,
            step=10,
            description="steps",
            style=wide,
            layout=layout,
        )
        self.start_x_slider = widgets.FloatSlider(
            description="start x", step=0.01, style=wide, layout=layout
        )
        self.start_y_slider = widgets.FloatSlider(
            description="start y", step=0.001, readout_format=".3f", style=wide, layout=layout
        )
        self.schedule_dropdown = widgets.Dropdown(
            options=list(SCHEDULE_NAMES),
            value=schedule,
            description="schedule",
            style=wide,
            layout=layout,
        )
        # repeat: pressing play at the last step starts again from step 0 (and loops until paused)
        self.play = widgets.Play(
            value=steps, min=0, max=steps, interval=100, repeat=True, description="play"
        )
        self.step_slider = widgets.IntSlider(
            value=steps, min=0, max=steps, description="step", layout=widgets.Layout(width="420px")
        )
        self.play_link = widgets.jslink((self.play, "value"), (self.step_slider, "value"))
        self.step_label = widgets.Label(value="")
        self.step_label.add_class("playground-step")
        self.timing_label = widgets.Label(value="")
        self.timing_label.add_class("playground-timing")
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="880px"))
        self.image.add_class("playground-figure")

        self.surface: Surface = make_surface(surface)
        self.trajectories: dict[str, np.ndarray] = {}
        self.losses: dict[str, np.ndarray] = {}
        self.recompute_seconds = 0.0
        self._holding = False
        self._lines: dict[str, tuple[Any, Any, Any]] = {}
        self._marker: Any = None
        self._drawn_surface: Surface | None = None
        self.figure = Figure(figsize=(11, 4.4), dpi=80)  # fixed margins: a layout engine
        self.figure.subplots_adjust(left=0.06, right=0.985, bottom=0.11, top=0.93, wspace=0.2)
        self._canvas = FigureCanvasAgg(self.figure)
        self._background: Any = None
        self._ax_path, self._ax_loss = self.figure.subplots(1, 2, width_ratios=(1.1, 1))

        with self._hold():
            self._set_surface_controls(lr)
        self._recompute()

        settings = [
            self.condition_slider,
            self.noise_slider,
            self.lr_slider,
            self.momentum_slider,
            self.beta1_slider,
            self.beta2_slider,
            self.steps_slider,
            self.start_x_slider,
            self.start_y_slider,
            self.schedule_dropdown,
            *self.optimizer_checkboxes.values(),
        ]
        for control in settings:
            control.observe(self._on_setting, names="value")
        self.surface_dropdown.observe(self._on_surface, names="value")
        self.step_slider.observe(self._on_step, names="value")

        checkboxes = widgets.GridBox(
            list(self.optimizer_checkboxes.values()),
            layout=widgets.Layout(grid_template_columns="repeat(3, 110px)"),
        )
        controls = widgets.VBox(
            [
                self.surface_dropdown,
                self.condition_slider,
                self.noise_slider,
                checkboxes,
                self.lr_slider,
                self.momentum_slider,
                self.beta1_slider,
                self.beta2_slider,
                self.steps_slider,
                self.start_x_slider,
                self.start_y_slider,
                self.schedule_dropdown,
            ]
        )
        player = widgets.HBox([self.play, self.step_slider, self.step_label])
        self.widget = widgets.HBox(
            [controls, widgets.VBox([self.image, player, self.timing_label])]
        )
        self.widget.add_class("optimizer-playground")

    # -- display -------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- state ---------------------------------------------------------------------------

    @property
    def selected(self) -> list[str]:
        """The checked optimizers, in :data:`OPTIMIZER_NAMES` order."""
        return [n for n, box in self.optimizer_checkboxes.items() if box.value]

    @property
    def start(self) -> np.ndarray:
        """The start point from the sliders, shape ``(2,)``."""
        return np.array([self.start_x_slider.value, self.start_y_slider.value])

    @contextmanager
    def _hold(self) -> Iterator[None]:
        """Change several controls with a single recompute afterwards (by the caller)."""
        previous, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = previous

    def _set_surface_controls(self, lr: float | None = None) -> None:
        """Rebuild the surface; move start sliders and lr to the new surface's defaults."""
        name = self.surface_dropdown.value
        kwargs = {"condition_number": self.condition_slider.value} if name == "quadratic" else {}
        self.surface = make_surface(name, noise=self.noise_slider.value, **kwargs)
        self.condition_slider.disabled = name != "quadratic"
        (x0, x1), (y0, y1) = self.surface.bounds
        for slider, lo, hi, value in (
            (self.start_x_slider, x0, x1, self.surface.start[0]),
            (self.start_y_slider, y0, y1, self.surface.start[1]),
        ):
            slider.min, slider.max = -1e9, 1e9  # never clip while moving both ends
            slider.min, slider.max, slider.value = lo, hi, float(value)
        self.lr_slider.value = self.surface.default_lr if lr is None else lr

    def _on_surface(self, change: Any) -> None:
        with self._hold():
            self._set_surface_controls()
        self._recompute()

    def _on_setting(self, change: Any) -> None:
        if self._holding:
            return
        if change["owner"] in (self.condition_slider, self.noise_slider):
            name = self.surface_dropdown.value
            kwargs = (
                {"condition_number": self.condition_slider.value} if name == "quadratic" else {}
            )
            self.surface = make_surface(name, noise=self.noise_slider.value, **kwargs)
        self._recompute()

    def _on_step(self, change: Any) -> None:
        if not self._holding:
            self._show_step(int(change["new"]))

    # -- computing and drawing -----------------------------------------------------------

    def _recompute(self) -> None:
        """Run every selected optimizer, redraw everything, and show the final step."""
        steps = int(self.steps_slider.value)
        configs = optimizer_configs(
            self.selected,
            self.momentum_slider.value,
            self.beta1_slider.value,
            self.beta2_slider.value,
        )
        began = time.perf_counter()
        self.trajectories = run_trajectories(
            self.surface,
            configs,
            self.start,
            steps,
            self.lr_slider.value,
            schedule_config(self.schedule_dropdown.value, steps),
        )
        self.recompute_seconds = time.perf_counter() - began
        with np.errstate(over="ignore", invalid="ignore"):
            self.losses = {n: self.surface.value(p) for n, p in self.trajectories.items()}
        self.timing_label.value = (
            f"{len(configs)} trajectories x {steps} steps recomputed in "
            f"{1e3 * self.recompute_seconds:.1f} ms"
        )
        self._draw()
        with self._hold():
            self.play.playing = False
            self.play.max = self.step_slider.max = steps
            self.play.step = max(1, steps // 100)
            self.play.value = self.step_slider.value = steps
        self._show_step(steps)

    def _draw(self) -> None:
        """One line per optimizer in both panels (contours redrawn only for a new surface)."""
        ax, ax_loss, surface = self._ax_path, self._ax_loss, self.surface
        if surface is not self._drawn_surface:
            ax.clear()
            ax_loss.clear()
            set_loss_scale(ax_loss, surface, draw_surface(ax, surface))
            self._drawn_surface, self._lines, self._marker = surface, {}, None
        for artist in [*(a for lines in self._lines.values() for a in lines), self._marker]:
            if artist is not None:
                artist.remove()
        if ax_loss.get_legend() is not None:
            ax_loss.get_legend().remove()
        self._lines = {}
        for name, path in self.trajectories.items():
            color = COLORS[name]
            (line,) = ax.plot(
                path[:, 0], path[:, 1], "-", color=color, lw=1.6, label=name, animated=True
            )
            (head,) = ax.plot(path[-1:, 0], path[-1:, 1], "o", color=color, ms=6, animated=True)
            (curve,) = ax_loss.plot(
                loss_for_plot(surface, self.losses[name]),
                color=color,
                lw=1.4,
                label=name,
                animated=True,
            )
            self._lines[name] = (line, head, curve)
        if self.trajectories:
            ax_loss.legend(loc="upper right", fontsize=9)
        self._marker = ax_loss.axvline(0, color="0.6", lw=1, animated=True)
        ax_loss.relim()
        ax_loss.autoscale_view()
        ax_loss.set(
            xlim=(0, max(1, self.steps_slider.value)),
            title=f"loss, lr = {self.lr_slider.value:.3g}",
        )
        self._canvas.draw()  # everything but the animated artists, kept for blitting
        self._background = self._canvas.copy_from_bbox(self.figure.bbox)

    def _show_step(self, step: int) -> None:
        """Cut every path at ``step``, update the counter, and render the PNG."""
        total = int(self.steps_slider.value)
        step = min(max(step, 0), total)
        for name, (line, head, curve) in self._lines.items():
            path = self.trajectories[name][: step + 1]
            line.set_data(path[:, 0], path[:, 1])
            head.set_data(path[-1:, 0], path[-1:, 1])
            curve.set_data(
                np.arange(step + 1), loss_for_plot(self.surface, self.losses[name][: step + 1])
            )
        self._marker.set_xdata([step, step])
        self.step_label.value = f"step {step} / {total}"
        self.image.value = self._blit_png()

    def _blit_png(self) -> bytes:
        """PNG of the cached background with the animated artists drawn on top (fast path)."""
        self._canvas.restore_region(self._background)
        for artists in self._lines.values():
            for artist in artists:
                self.figure.draw_artist(artist)
        self.figure.draw_artist(self._marker)
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self._canvas.buffer_rgba())).save(
            buffer, format="png", compress_level=1
        )
        return buffer.getvalue()
