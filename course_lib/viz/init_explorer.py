"""The initialisation explorer: activation and gradient statistics through a deep MLP.

Two layers, as in :mod:`course_lib.viz.playground`:

- :func:`propagate`, pure logic: a stack of ``depth`` fully connected layers of ``width`` units
  (weights from an initialiser of :mod:`course_lib.engine.init`, zero biases, one activation
  from :mod:`course_lib.engine.functional`) is run forward on standard-normal inputs, then
  backward from a random standard-normal upstream gradient. It returns every layer's
  activations ``h_l`` and gradients ``dL/dh_l`` with their statistics
  (:class:`Propagation`).
- :class:`InitExplorer`, an ipywidgets 8 widget around it: depth, width, activation,
  initialiser and the number of samples on the left; on the right a matplotlib figure (one
  histogram per layer for the activations and for the gradients, drawn as a ridgeline so
  that every layer shares one x axis, and the per-layer standard deviations on a log scale)
  rendered to a PNG in a ``widgets.Image``, so it works without ipympl.

Why the statistics behave as they do (one layer, ``z = h W`` with ``fan_in`` inputs of
variance ``v`` and weights of variance ``s^2``): ``Var z = fan_in s^2 v``. With
``s = 0.01`` and ``fan_in = 500`` the factor is 0.05, so tanh activations shrink by
``sqrt(0.05) = 0.22`` per layer and vanish; Xavier (``s^2 = 2 / (fan_in + fan_out)``) makes the
factor 1 and tanh only shrinks them slowly; ReLU zeroes half its input, halving the second
moment, which He (``s^2 = 2 / fan_in``) compensates.

Example (no browser needed)::

    stats = propagate(depth=10, width=500, activation="tanh", init="xavier_normal")
    stats.act_std            # shape (10,): the std of each layer's activations

    ex = InitExplorer()
    ex.init_dropdown.value = "small"     # recomputes at once
    ex.stats.act_std[-1]                 # about 3e-7: collapsed
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from course_lib.engine import functional as F
from course_lib.engine import init as engine_init

__all__ = [
    "ACTIVATIONS",
    "INITIALIZERS",
    "InitExplorer",
    "Propagation",
    "propagate",
]

Initializer = Callable[..., np.ndarray]

#: Activation name -> (forward, backward) pair of :mod:`course_lib.engine.functional`;
#: "linear" is the identity.
ACTIVATIONS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "tanh": (F.tanh_forward, F.tanh_backward),
    "relu": (F.relu_forward, F.relu_backward),
    "leaky_relu": (F.leaky_relu_forward, F.leaky_relu_backward),
    "elu": (F.elu_forward, F.elu_backward),
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward),
    "linear": (lambda x: (x, None), lambda dout, cache: dout),
}

#: Initialiser name -> ``f(shape, rng) -> ndarray`` built on :mod:`course_lib.engine.init`.
INITIALIZERS: dict[str, Initializer] = {
    "small": lambda shape, rng: engine_init.normal(shape, rng, std=0.01),
    "large": lambda shape, rng: engine_init.normal(shape, rng, std=1.0),
    "zeros": lambda shape, rng: engine_init.zeros(shape, rng),
    "xavier_normal": lambda shape, rng: engine_init.xavier_normal(shape, rng),
    "xavier_uniform": lambda shape, rng: engine_init.xavier_uniform(shape, rng),
    "he_normal": lambda shape, rng: engine_init.kaiming_normal(shape, rng),
    "he_uniform": lambda shape, rng: engine_init.kaiming_uniform(shape, rng),
    "orthogonal": lambda shape, rng: engine_init.orthogonal(shape, rng),
}

#: What the initialiser menu shows for each name.
INIT_LABELS = {
    "small": "N(0, 0.01²)",
    "large": "N(0, 1)",
    "zeros": "zeros",
    "xavier_normal": "Xavier normal",
    "xavier_uniform": "Xavier uniform",
    "he_normal": "He normal",
    "he_uniform": "He uniform",
    "orthogonal": "orthogonal",
}


def _std(arrays: list[np.ndarray]) -> np.ndarray:
    return np.array([float(a.std()) for a in arrays])


@dataclass
class Propagation:
    """Per-layer activations and gradients of one forward and backward pass.

    Attributes:
        activations: ``depth`` arrays ``h_l`` of shape (N, width), the outputs of the layers'
            activations (``l = 1 .. depth``).
        gradients: ``depth`` arrays ``dL/dh_l`` of shape (N, width); the last one is the random
            upstream gradient.
        weight_grad_std: shape (depth,): the std of ``dL/dW_l``.
        settings: the arguments the pass was run with.
    """

    activations: list[np.ndarray]
    gradients: list[np.ndarray]
    weight_grad_std: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return len(self.activations)

    @property
    def act_mean(self) -> np.ndarray:
        """Mean of each layer's activations, shape (depth,)."""
        return np.array([float(a.mean()) for a in self.activations])

    @property
    def act_std(self) -> np.ndarray:
        """Standard deviation of each layer's activations, shape (depth,)."""
        return _std(self.activations)

    @property
    def act_rms(self) -> np.ndarray:
        """Root mean square ``sqrt(E[h^2])`` of each layer's activations, shape (depth,)."""
        return np.array([float(np.sqrt(np.mean(a * a))) for a in self.activations])

    @property
    def grad_std(self) -> np.ndarray:
        """Standard deviation of each layer's gradient ``dL/dh_l``, shape (depth,)."""
        return _std(self.gradients)

    def table(self) -> str:
        """One line per layer: mean and std of the activations, std of the gradients."""
        lines = ["layer    act mean     act std    grad std"]
        rows = zip(self.act_mean, self.act_std, self.grad_std, strict=True)
        for l, (m, s, g) in enumerate(rows, 1):
            lines.append(f"{l:5d}  {m:+.3e}  {s:.3e}  {g:.3e}")
        return "\n".join(lines)


def propagate(
    depth: int = 10,
    width: int = 500,
    activation: str = "tanh",
    init: str | Initializer = "xavier_normal",
    n_samples: int = 1000,
    seed: int | None = 0,
    rng: np.random.Generator | None = None,
) -> Propagation:
    """Run a deep MLP forward on standard-normal inputs and backward from a random gradient.

    Layer ``l`` computes ``z_l = h_{l-1} W_l`` (zero bias) and ``h_l = act(z_l)``, with
    ``h_0 ~ N(0, 1)`` of shape (n_samples, width) and ``W_l`` of shape (width, width) from
    ``init``. Backward starts from ``dL/dh_depth ~ N(0, 1)`` and applies the engine's
    backward rules: ``dL/dz_l = act'(z_l) dL/dh_l``, ``dL/dh_{l-1} = dL/dz_l W_l^T``,
    ``dL/dW_l = h_{l-1}^T dL/dz_l``.

    Args:
        depth: the number of layers, >= 1.
        width: units per layer (also the input dimension), >= 1.
        activation: a key of :data:`ACTIVATIONS`.
        init: a key of :data:`INITIALIZERS`, or ``f(shape, rng) -> ndarray``.
        n_samples: the batch size N.
        seed: seeds the generator (weights, inputs, upstream gradient) when ``rng`` is None,
            so that two calls with different initialisers see the same inputs.
        rng: the generator to use instead of ``seed``.
    Returns:
        The :class:`Propagation`.
    Raises:
        ValueError: an unknown activation or initialiser, or a size below 1.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"propagate: unknown activation {activation!r}; choose from {list(ACTIVATIONS)}"
        )
    if isinstance(init, str):
        if init not in INITIALIZERS:
            raise ValueError(
                f"propagate: unknown initialiser {init!r}; choose from {list(INITIALIZERS)}"
            )
        init_fn = INITIALIZERS[init]
    else:
        init_fn = init
    for name, value in (("depth", depth), ("width", width), ("n_samples", n_samples)):
        if int(value) != value or value < 1:
            raise ValueError(f"propagate: {name} must be a positive integer, got {value}")
    depth, width, n_samples = int(depth), int(width), int(n_samples)
    rng = np.random.default_rng(seed) if rng is None else rng
    forward, backward = ACTIVATIONS[activation]

    h = rng.standard_normal((n_samples, width))
    bias = np.zeros(width)
    linear_caches, act_caches, activations = [], [], []
    for _ in range(depth):
        W = np.asarray(init_fn((width, width), rng), dtype=np.float64)
        z, linear_cache = F.linear_forward(h, W, bias)
        h, act_cache = forward(z)
        linear_caches.append(linear_cache)
        act_caches.append(act_cache)
        activations.append(h)

    grad = rng.standard_normal((n_samples, width))
    gradients: list[np.ndarray] = [grad]
    weight_grad_std = np.zeros(depth)
    for l in range(depth - 1, -1, -1):
        dz = backward(grad, act_caches[l])
        grad, dW, _ = F.linear_backward(dz, linear_caches[l])
        weight_grad_std[l] = float(dW.std())
        if l > 0:
            gradients.append(grad)
    gradients.reverse()
    settings = {
        "depth": depth,
        "width": width,
        "activation": activation,
        "init": init if isinstance(init, str) else getattr(init, "__name__", "custom"),
        "n_samples": n_samples,
        "seed": seed,
    }
    return Propagation(activations, gradients, weight_grad_std, settings)


#: Histograms use at most this many values per layer (an even subsample: fast to redraw).
HIST_VALUES = 20_000


def _ridgeline(ax: Any, arrays: list[np.ndarray], title: str, bins: int = 60) -> None:
    """One normalised histogram per layer, stacked upwards (layer 1 at the bottom)."""
    finite = []
    for a in arrays:
        flat = a.ravel()[:: max(1, a.size // HIST_VALUES)]
        finite.append(flat[np.isfinite(flat)])
    spread = max((float(np.percentile(np.abs(a), 99.5)) if a.size else 0.0) for a in finite)
    spread = spread if spread > 0 and np.isfinite(spread) else 1.0
    lo = 0.0 if all(a.size and a.min() >= 0 for a in finite) else -spread
    edges = np.linspace(lo, spread, bins + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    depth = len(arrays)
    colors = _layer_colors(depth)
    for l, a in enumerate(finite):
        counts, _ = np.histogram(np.clip(a, lo, spread), bins=edges)
        height = counts / max(counts.max(), 1) * 0.9
        ax.fill_between(centres, l, l + height, color=colors[l], alpha=0.8, lw=0)
        ax.plot(centres, l + height, color="0.2", lw=0.5)
    ax.set_yticks(np.arange(depth) + 0.3)
    ax.set_yticklabels([str(l + 1) if depth <= 12 or l % 2 == 0 else "" for l in range(depth)])
    ax.set(xlim=(lo, spread), ylim=(0, depth + 0.1), ylabel="layer", title=title)
    ax.tick_params(axis="y", length=0)


def _layer_colors(depth: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(0.1 + 0.8 * l / max(depth - 1, 1)) for l in range(depth)]


def draw_propagation(axes: tuple[Any, Any, Any], stats: Propagation) -> None:
    """Ridgeline histograms of activations and gradients, and per-layer stds (log scale).

    Args:
        axes: three matplotlib Axes (activations, gradients, standard deviations).
        stats: what :func:`propagate` returned.
    """
    ax_act, ax_grad, ax_std = axes
    for ax in axes:
        ax.clear()
    _ridgeline(ax_act, stats.activations, "activations $h_l$")
    _ridgeline(ax_grad, stats.gradients, r"gradients $\partial L / \partial h_l$")
    layers = np.arange(1, stats.depth + 1)
    floor = 1e-300
    ax_std.semilogy(layers, np.maximum(stats.act_std, floor), "o-", label="std of $h_l$")
    ax_std.semilogy(layers, np.maximum(stats.grad_std, floor), "s-", label=r"std of $dL/dh_l$")
    ax_std.semilogy(layers, np.maximum(stats.weight_grad_std, floor), "^-", ms=4,
                    label=r"std of $dL/dW_l$")
    ax_std.set(xlabel="layer", title="standard deviation per layer")
    ax_std.grid(True, which="major", alpha=0.3)
    ax_std.legend(fontsize=8, loc="best")


class InitExplorer:
    """Choose depth, width, activation and initialiser; see each layer's statistics.

    Controls (``description`` in parentheses): ``depth_slider`` ("depth", 1-20),
    ``width_slider`` ("width", 10-1000), ``activation_dropdown`` ("activation", the keys of
    :data:`ACTIVATIONS`), ``init_dropdown`` ("initialiser", values the keys of
    :data:`INITIALIZERS`), ``samples_slider`` ("samples"). Changing any of them reruns
    :func:`propagate` (with the fixed ``seed``, so only the changed setting matters) into
    ``stats`` and redraws ``figure`` into ``image`` (a ``widgets.Image``, CSS class
    ``init-explorer-figure``); ``table_output`` (a ``widgets.HTML``, CSS class
    ``init-explorer-table``) holds :meth:`Propagation.table` and ``timing_label`` the time
    taken. ``widget`` is the whole layout; displaying the explorer displays it.

    Args:
        depth, width, activation, init, n_samples: the starting settings.
        seed: the seed of every recomputation.
    """

    def __init__(
        self,
        depth: int = 10,
        width: int = 500,
        activation: str = "tanh",
        init: str = "xavier_normal",
        n_samples: int = 500,
        seed: int = 0,
    ) -> None:
        import ipywidgets as widgets

        if activation not in ACTIVATIONS:
            raise ValueError(
                f"InitExplorer: unknown activation {activation!r}; choose {list(ACTIVATIONS)}"
            )
        if init not in INITIALIZERS:
            raise ValueError(
                f"InitExplorer: unknown initialiser {init!r}; choose {list(INITIALIZERS)}"
            )
        wide = {"description_width": "80px"}
        layout = widgets.Layout(width="280px")
        self.seed = seed
        self.depth_slider = widgets.IntSlider(
            value=depth, min=1, max=20, description="depth", style=wide, layout=layout
        )
        self.width_slider = widgets.IntSlider(
            value=width, min=10, max=1000, step=10, description="width", style=wide,
            layout=layout,
        )
        self.activation_dropdown = widgets.Dropdown(
            options=list(ACTIVATIONS), value=activation, description="activation", style=wide,
            layout=layout,
        )
        self.init_dropdown = widgets.Dropdown(
            options=[(INIT_LABELS[k], k) for k in INITIALIZERS], value=init,
            description="initialiser", style=wide, layout=layout,
        )
        self.samples_slider = widgets.IntSlider(
            value=n_samples, min=50, max=2000, step=50, description="samples", style=wide,
            layout=layout,
        )
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="900px"))
        self.image.add_class("init-explorer-figure")
        self.table_output = widgets.HTML(value="")
        self.table_output.add_class("init-explorer-table")
        self.timing_label = widgets.Label(value="")
        self.timing_label.add_class("init-explorer-timing")

        self.figure = Figure(figsize=(12, 4.4), dpi=75)
        self.figure.subplots_adjust(left=0.05, right=0.985, bottom=0.12, top=0.84, wspace=0.25)
        self._canvas = FigureCanvasAgg(self.figure)
        self._axes = tuple(self.figure.subplots(1, 3))
        self.stats: Propagation | None = None
        self.recompute_seconds = 0.0
        self._holding = False
        self._recompute()

        for control in self.controls:
            control.observe(self._on_setting, names="value")

        self.widget = widgets.HBox(
            [
                widgets.VBox([*self.controls, self.timing_label, self.table_output]),
                self.image,
            ]
        )
        self.widget.add_class("init-explorer")

    @property
    def controls(self) -> list[Any]:
        """The setting widgets, in display order."""
        return [
            self.depth_slider,
            self.width_slider,
            self.activation_dropdown,
            self.init_dropdown,
            self.samples_slider,
        ]

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls, then recompute once::

            with explorer.hold():
                explorer.depth_slider.value = 20
                explorer.activation_dropdown.value = "relu"
        """
        previous, self._holding = self._holding, True
        try:
            yield
        finally:
            self._holding = previous
        if not previous:
            self._recompute()

    def _on_setting(self, change: Any) -> None:
        if not self._holding:
            self._recompute()

    def _recompute(self) -> None:
        began = time.perf_counter()
        self.stats = propagate(
            depth=self.depth_slider.value,
            width=self.width_slider.value,
            activation=self.activation_dropdown.value,
            init=self.init_dropdown.value,
            n_samples=self.samples_slider.value,
            seed=self.seed,
        )
        self.recompute_seconds = time.perf_counter() - began
        draw_propagation(self._axes, self.stats)  # type: ignore[arg-type]
        s = self.stats.settings
        self.figure.suptitle(
            f"{s['depth']} layers of {s['width']} {s['activation']} units, "
            f"{INIT_LABELS[s['init']]} weights", fontsize=11,
        )
        self._canvas.draw()
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self._canvas.buffer_rgba())).save(
            buffer, format="png", compress_level=1
        )
        self.image.value = buffer.getvalue()
        self.table_output.value = f"<pre style='font-size:11px'>{self.stats.table()}</pre>"
        self.timing_label.value = (
            f"forward and backward in {1e3 * self.recompute_seconds:.0f} ms"
        )
