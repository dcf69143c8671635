"""Two-dimensional test surfaces for watching optimizers: value, gradient, bounds, minima.

Every surface writes its formula once, in ``f(x, y)`` and ``grad(x, y)``, using only
arithmetic, so the same code evaluates one point (Python floats, fast enough for thousands of
optimizer steps) and a whole grid (NumPy arrays, for contour plots). ``value(points)`` and
``gradient(points)`` are the array forms on points of shape ``(..., 2)``.

Surfaces:

- :class:`Quadratic`: ``f = (x^2 + kappa y^2) / 2``, Hessian ``diag(1, kappa)``; the condition
  number ``kappa`` is adjustable, which is where plain gradient descent zig-zags.
- :class:`Rosenbrock`: ``f = (a - x)^2 + b (y - x^2)^2``, a curved, flat-bottomed valley.
- :class:`Beale`: three squared terms, steep walls and a flat basin around ``(3, 0.5)``.
- :class:`Saddle`: ``f = x^2 - y^2``, a saddle at the origin, unbounded below.
- :class:`Himmelblau`: ``f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2``, four minima.
- :class:`NoisySurface`: wraps any surface; its sampled gradient adds seeded Gaussian noise,
  the way a minibatch gradient scatters around the full-batch one.

Example::

    surface = Rosenbrock()
    surface.grad(-1.2, 1.0)             # (-215.6, -88.0)
    surface.value(surface.minima)       # array([0.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "Beale",
    "Himmelblau",
    "NoisySurface",
    "Quadratic",
    "Rosenbrock",
    "SURFACES",
    "Saddle",
    "Surface",
    "make_surface",
]

Scalar = Any  # a Python float or an ndarray: the formulas broadcast over either
GradientFn = Callable[[float, float], tuple[float, float]]


class Surface:
    """A differentiable function of two variables, with what a plot needs to show it.

    Attributes:
        name: a short label for menus and legends.
        bounds: ``((x_min, x_max), (y_min, y_max))``, the window a contour plot shows.
        minima: the known global minima, shape ``(k, 2)`` (``k = 0`` when unbounded below).
        saddle_points: known saddle points, shape ``(k, 2)``.
        min_value: the minimum value, or ``None`` when the surface is unbounded below.
        start: a starting point where the optimizers differ visibly, shape ``(2,)``.
        default_lr: a learning rate at which plain gradient descent converges from ``start``.
    """

    name: str = "surface"
    bounds: tuple[tuple[float, float], tuple[float, float]] = ((-1.0, 1.0), (-1.0, 1.0))
    minima: np.ndarray = np.zeros((0, 2))
    saddle_points: np.ndarray = np.zeros((0, 2))
    min_value: float | None = 0.0
    start: np.ndarray = np.zeros(2)
    default_lr: float = 1e-2

    def f(self, x: Scalar, y: Scalar) -> Scalar:
        """The value at ``(x, y)``; scalars or arrays of one shape."""
        raise NotImplementedError(f"{type(self).__name__} does not define f()")

    def grad(self, x: Scalar, y: Scalar) -> tuple[Scalar, Scalar]:
        """The gradient ``(df/dx, df/dy)`` at ``(x, y)``; scalars or arrays of one shape."""
        raise NotImplementedError(f"{type(self).__name__} does not define grad()")

    def value(self, points: np.ndarray) -> np.ndarray:
        """``f`` at every point.

        Args:
            points: shape ``(..., 2)``.
        Returns:
            shape ``(...)``.
        """
        points = _check_points(self, "value", points)
        return np.asarray(self.f(points[..., 0], points[..., 1]), dtype=float)

    def gradient(self, points: np.ndarray) -> np.ndarray:
        """The exact gradient at every point.

        Args:
            points: shape ``(..., 2)``.
        Returns:
            shape ``(..., 2)``: ``[..., 0]`` is df/dx, ``[..., 1]`` is df/dy.
        """
        points = _check_points(self, "gradient", points)
        gx, gy = self.grad(points[..., 0], points[..., 1])
        return np.stack(np.broadcast_arrays(gx, gy), axis=-1).astype(float)

    def gradient_sampler(self) -> GradientFn:
        """The gradient an optimizer sees, as ``g(x, y) -> (gx, gy)`` on floats.

        Deterministic surfaces return the exact gradient; :class:`NoisySurface` returns a
        noisy one drawn from a fresh generator seeded by its ``seed``, so that every call of
        this method replays the same noise sequence (a fair race between optimizers).
        """
        return self.grad

    def gap(self, values: np.ndarray) -> np.ndarray:
        """``f - min_value`` (what a log-scale loss plot shows), or ``f`` when unbounded."""
        values = np.asarray(values, dtype=float)
        return values if self.min_value is None else values - self.min_value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _check_points(surface: Surface, method: str, points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    if points.ndim == 0 or points.shape[-1] != 2:
        raise ValueError(
            f"{type(surface).__name__}.{method}: points must have shape (..., 2), "
            f"got {points.shape}"
        )
    return points


class Quadratic(Surface):
    """``f(x, y) = (x^2 + kappa y^2) / 2``: Hessian ``diag(1, kappa)``, condition number kappa.

    The smallest curvature is ``mu = 1`` and the largest ``L = kappa``, so gradient descent
    is stable for ``lr < 2 / kappa`` and the best fixed step ``2 / (mu + L)`` contracts the
    error by ``(kappa - 1) / (kappa + 1)`` per step.

    Args:
        condition_number: kappa >= 1.
    """

    bounds = ((-5.0, 5.0), (-2.5, 2.5))
    minima = np.zeros((1, 2))
    start = np.array([-4.5, 1.5])

    def __init__(self, condition_number: float = 10.0) -> None:
        if not condition_number >= 1.0:
            raise ValueError(f"Quadratic: condition_number must be >= 1, got {condition_number}")
        self.condition_number = float(condition_number)
        self.name = f"quadratic (kappa={self.condition_number:g})"
        self.default_lr = 1.0 / self.condition_number

    def f(self, x: Scalar, y: Scalar) -> Scalar:
        return 0.5 * (x * x + self.condition_number * y * y)

    def grad(self, x: Scalar, y: Scalar) -> tuple[Scalar, Scalar]:
        return x, self.condition_number * y


class Rosenbrock(Surface):
    """``f(x, y) = (a - x)^2 + b (y - x^2)^2``; minimum 0 at ``(a, a^2)``.

    ``df/dx = -2 (a - x) - 4 b x (y - x^2)``, ``df/dy = 2 b (y - x^2)``.

    Args:
        a, b: the usual constants (1 and 100).
    """

    name = "Rosenbrock"
    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    start = np.array([-1.2, 1.0])
    default_lr = 1e-3

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a, self.b = float(a), float(b)
        self.minima = np.array([[self.a, self.a * self.a]])

    def f(self, x: Scalar, y: Scalar) -> Scalar:
        r = y - x * x
        return (self.a - x) ** 2 + self.b * r * r

    def grad(self, x: Scalar, y: Scalar) -> tuple[Scalar, Scalar]:
        r = y - x * x
        return -2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r


class Beale(Surface):
    """``f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2``; minimum 0 at (3, 0.5).

    With ``t_k = c_k - x + x y^k``: ``df/dx = sum_k 2 t_k (y^k - 1)`` and
    ``df/dy = sum_k 2 t_k k x y^(k-1)``.
    """

    name = "Beale"
    bounds = ((-4.5, 4.5), (-4.5, 4.5))
    minima = np.array([[3.0, 0.5]])
    start = np.array([1.0, 1.4])
    default_lr = 1e-3

    def f(self, x: Scalar, y: Scalar) -> Scalar:
        y2 = y * y
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y2
        t3 = 2.625 - x + x * y2 * y
        return t1 * t1 + t2 * t2 + t3 * t3

    def grad(self, x: Scalar, y: Scalar) -> tuple[Scalar, Scalar]:
        y2 = y * y
        y3 = y2 * y
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y2
        t3 = 2.625 - x + x * y3
        gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
        gy = 2.0 * x * (t1 + 2.0 * t2 * y + 3.0 * t3 * y2)
        return gx, gy


class Saddle(Surface):
    """``f(x, y) = x^2 - y^2``: a saddle at the origin, unbounded below along y.

    Gradient descent from a point with ``y = 0`` converges to the saddle; any ``y != 0``
    grows by a factor ``1 + 2 lr`` per step, so escaping takes about
    ``log(1 / |y0|) / log(1 + 2 lr)`` steps.
    """

    name = "saddle"
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    saddle_points = np.zeros((1, 2))
    min_value = None
    start = np.array([-1.8, 1e-3])
    default_lr = 1e-2

    def f(self, x: Scalar, y: Scalar) -> Scalar:
        return x * x - y * y

    def grad(self, x: Scalar, y: Scalar) -> tuple[Scalar, Scalar]:
        return 2.0 * x, -2.0 * y


class Himmelblau(Surface):
    """``f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2``: four minima of value 0.

    ``df/dx = 4 x (x^2 + y - 11) + 2 (x + y^2 - 7)``,
    ``df/dy = 2 (x^2 + y - 11) + 4 y (x + y^2 - 7)``.
    """

    name = "Himmelblau"
    bounds = ((-5.0, 5.0), (-5.0, 5.0))
    minima = np.array(
        [
            [3.0, 2.0],
            [-2.805118086952745, 3.131312518250573],
            [-3.779310253377747, -3.283185991286169],
            [3.5844283403304917, -1.8481265269644034],
        ]
    )
    start = np.array([-0.3, -0.9])
    default_lr = 1e-2

    def f(self, x: Scalar, y: Scalar) -> Scalar:
        u = x * x + y - 11.0
        v = x + y * y - 7.0
        return u * u + v * v

    def grad(self, x: Scalar, y: Scalar) -> tuple[Scalar, Scalar]:
        u = x * x + y - 11.0
        v = x + y * y - 7.0
        return 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v


class NoisySurface(Surface):
    """Any surface seen through noisy gradients, like minibatch SGD sees its loss.

    The value, exact gradient, bounds and minima are those of ``base``; only
    :meth:`gradient_sampler` differs: it returns ``grad(x, y) + noise * xi`` with ``xi``
    standard normal, drawn from ``np.random.default_rng(seed)`` created afresh on each call.

    Args:
        base: the surface to wrap.
        noise: the standard deviation of the gradient noise (per coordinate).
        seed: seeds the noise, so that a trajectory is reproducible.
    """

    def __init__(self, base: Surface, noise: float = 1.0, seed: int = 0) -> None:
        if noise < 0:
            raise ValueError(f"NoisySurface: noise must be >= 0, got {noise}")
        self.base, self.noise, self.seed = base, float(noise), int(seed)
        self.name = f"noisy {base.name}"
        self.bounds = base.bounds
        self.minima = base.minima
        self.saddle_points = base.saddle_points
        self.min_value = base.min_value
        self.start = base.start
        self.default_lr = base.default_lr

    def f(self, x: Scalar, y: Scalar) -> Scalar:
        return self.base.f(x, y)

    def grad(self, x: Scalar, y: Scalar) -> tuple[Scalar, Scalar]:
        return self.base.grad(x, y)

    def gradient_sampler(self) -> GradientFn:
        normal = np.random.default_rng(self.seed).standard_normal
        exact, noise = self.base.grad, self.noise

        def noisy_grad(x: float, y: float) -> tuple[float, float]:
            gx, gy = exact(x, y)
            nx, ny = normal(2)
            return gx + noise * nx, gy + noise * ny

        return noisy_grad


#: The surfaces by menu name; each entry builds a fresh instance.
SURFACES: dict[str, Callable[..., Surface]] = {
    "quadratic": Quadratic,
    "Rosenbrock": Rosenbrock,
    "Beale": Beale,
    "saddle": Saddle,
    "Himmelblau": Himmelblau,
}


def make_surface(name: str, noise: float = 0.0, seed: int = 0, **kwargs: float) -> Surface:
    """Build a surface by its menu name, wrapped in :class:`NoisySurface` when ``noise > 0``.

    Args:
        name: a key of :data:`SURFACES`.
        noise: gradient noise standard deviation; 0 gives the exact surface.
        seed: the noise seed.
        **kwargs: passed to the surface (e.g. ``condition_number`` for the quadratic).
    Returns:
        The surface.
    """
    if name not in SURFACES:
        raise ValueError(f"make_surface: unknown surface {name!r}; choose from {list(SURFACES)}")
    surface = SURFACES[name](**kwargs)
    return NoisySurface(surface, noise=noise, seed=seed) if noise > 0 else surface
