"""Numerical gradients and the gradient check.

A backward pass is checked against centred differences

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h),

whose truncation error is O(h^2). Always check in float64: with h = 1e-5 the rounding error of
float32 (~1e-7 relative) divided by 2h swamps the signal, while float64 leaves ~1e-10.
Check with a random upstream gradient ``dout``, never all ones: an all-ones ``dout`` hides
errors whose contributions cancel when summed (BatchNorm's backward is the classic case, since
the gradient through the normalisation sums to zero over the batch).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Centred-difference gradient of a scalar function.

    Args:
        f: maps the array ``x`` to a scalar; called with ``x`` itself, perturbed in place.
        x: the point, any shape; restored exactly before returning.
        h: the step.
    Returns:
        grad with ``x``'s shape, ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h)``.
    """
    grad = np.zeros_like(x, dtype=np.result_type(x.dtype, np.float64))
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
        it.iternext()
    return grad


def numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Centred-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    This is what a backward pass computes when ``dout`` is the upstream gradient.

    Args:
        f: maps ``x`` to an array of ``dout``'s shape.
        x: the point, any shape; restored exactly before returning.
        dout: the upstream gradient, shape of ``f(x)``.
        h: the step.
    Returns:
        grad with ``x``'s shape.
    """
    return numerical_gradient(lambda z: np.sum(np.asarray(f(z)) * dout), x, h)


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest entrywise relative error ``|a - b| / max(1e-8, |a| + |b|)``.

    Raises:
        ValueError: when the shapes differ.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, {a.shape} against {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


@dataclass
class GradientReport:
    """The result of checking one gradient.

    Attributes:
        name: the input or parameter checked.
        max_rel_error: ``rel_error(analytic, numerical)``.
        worst_index: the entry with the largest relative error.
        analytic: the backward pass's value there.
        numerical: the numerical gradient's value there.
        passed: ``max_rel_error <= tol``.
    """

    name: str
    max_rel_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numerical: float
    passed: bool


def compare_gradients(
    name: str, analytic: np.ndarray, numerical: np.ndarray, tol: float
) -> GradientReport:
    """Build the report for one gradient; a shape mismatch is a ``ValueError`` naming both."""
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numerical.shape:
        raise ValueError(
            f"{name}: the analytic gradient has shape {analytic.shape} but the variable has "
            f"shape {numerical.shape}; a gradient has the shape of its variable"
        )
    if analytic.size == 0:
        return GradientReport(name, 0.0, (), 0.0, 0.0, True)
    errors = np.abs(analytic - numerical) / np.maximum(1e-8, np.abs(analytic) + np.abs(numerical))
    worst = np.unravel_index(int(np.argmax(errors)), errors.shape)
    err = float(errors[worst])
    return GradientReport(name, err, tuple(int(i) for i in worst), float(analytic[worst]),
                          float(numerical[worst]), err <= tol)


def check_layer_gradients(
    forward: Callable[..., tuple[np.ndarray, Any]],
    backward: Callable[[np.ndarray, Any], Any],
    inputs: dict[str, np.ndarray],
    tol: float = 1e-7,
    rng: np.random.Generator | None = None,
) -> list[GradientReport]:
    """Check a functional forward/backward pair against numerical gradients.

    Args:
        forward: ``forward(**inputs) -> (out, cache)``.
        backward: ``backward(dout, cache)`` -> the gradients of the inputs, in ``inputs`` order
            (a single array when there is one input).
        inputs: float64 arrays, by name.
        tol: the largest relative error that passes.
        rng: draws the random upstream gradient ``dout ~ N(0, 1)``.
    Returns:
        One ``GradientReport`` per input.
    """
    for name, value in inputs.items():
        if np.asarray(value).dtype != np.float64:
            raise ValueError(
                f"check_layer_gradients: input {name} has dtype {np.asarray(value).dtype}; "
                "gradient checks need float64 (convert with .astype(np.float64))"
            )
    rng = np.random.default_rng() if rng is None else rng
    out, cache = forward(**inputs)
    dout = rng.standard_normal(np.shape(out))
    grads = backward(dout, cache)
    if len(inputs) == 1 and not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(inputs):
        raise ValueError(
            f"check_layer_gradients: backward returned {len(grads)} gradient(s) for "
            f"{len(inputs)} input(s) ({', '.join(inputs)})"
        )
    reports = []
    for (name, value), grad in zip(inputs.items(), grads, strict=True):

        def f(z: np.ndarray, name: str = name) -> np.ndarray:
            return forward(**{**inputs, name: z})[0]

        numerical = numerical_gradient_array(f, value, dout)
        reports.append(compare_gradients(name, grad, numerical, tol))
    return reports


def check_module_gradients(
    module: Any, x: np.ndarray, tol: float = 1e-7, rng: np.random.Generator | None = None
) -> list[GradientReport]:
    """Check an engine ``Module``'s backward pass: the input gradient and every parameter's.

    The module must be deterministic in its current mode (call ``module.eval()`` first for
    Dropout). ``module.forward(x)`` then ``module.backward(dout)`` must return ``dx`` and set
    each ``Parameter.grad``.
    """
    rng = np.random.default_rng() if rng is None else rng
    x = np.asarray(x, dtype=np.float64)
    dout = rng.standard_normal(np.shape(module.forward(x)))
    dx = module.backward(dout)
    reports = [compare_gradients("x", dx, numerical_gradient_array(module.forward, x, dout), tol)]
    for name, param in module.named_parameters():
        analytic = param.grad.copy()
        numerical = numerical_gradient_array(lambda _: module.forward(x), param.data, dout)
        reports.append(compare_gradients(name, analytic, numerical, tol))
    return reports


def format_report(reports: list[GradientReport]) -> str:
    """A small table: one line per gradient with its error, worst entry and verdict."""
    lines = [f"{'gradient':<12} {'max rel error':>14}  {'worst entry':<14} "
             f"{'analytic':>12} {'numerical':>12}  verdict"]
    for r in reports:
        lines.append(
            f"{r.name:<12} {r.max_rel_error:>14.2e}  {str(list(r.worst_index)):<14} "
            f"{r.analytic:>12.5g} {r.numerical:>12.5g}  {'ok' if r.passed else 'FAILED'}"
        )
    return "\n".join(lines)
