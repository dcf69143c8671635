"""Weight initializers: ``f(shape, rng=None, ...) -> ndarray`` (float64 unless ``dtype`` says).

Fan-in and fan-out are read from the shape as torch reads them, in OUR layouts:

- a ``Linear`` weight is (in_features, out_features): ``fan_in = shape[0]``,
  ``fan_out = shape[1]`` (torch stores the transpose, (out, in));
- a convolution weight is (F, C, KH, KW), as torch: ``fan_in = C KH KW``, ``fan_out = F KH KW``.

Scales (``gain`` from :func:`calculate_gain`):

- Xavier/Glorot: ``std = gain sqrt(2 / (fan_in + fan_out))`` keeps the variance of activations
  and of gradients roughly constant through tanh/linear layers;
- He/Kaiming: ``std = gain / sqrt(fan)`` with ``gain = sqrt(2)`` for ReLU, which zeroes half of
  its input and so halves the variance;
- a uniform distribution on ``[-a, a]`` has ``std = a / sqrt(3)``, so ``a = sqrt(3) std``.
"""

from __future__ import annotations

import math

import numpy as np

Shape = tuple[int, ...]


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return np.random.default_rng() if rng is None else rng


def fans(shape: Shape, fn: str = "fans") -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a Linear (in, out) or convolution (F, C, KH, KW) weight shape."""
    if len(shape) < 2:
        raise ValueError(
            f"{fn}: fan-in and fan-out need a weight shape with at least 2 dimensions, got "
            f"{tuple(shape)}"
        )
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive = int(np.prod(shape[2:]))
    return int(shape[1]) * receptive, int(shape[0]) * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``:
    linear/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)), selu 3/4."""
    if nonlinearity in ("linear", "conv2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def zeros(shape: Shape, rng: np.random.Generator | None = None, dtype=np.float64) -> np.ndarray:
    """All zeros (fine for biases; for weights it leaves every hidden unit identical)."""
    return np.zeros(shape, dtype=dtype)


def constant(shape: Shape, rng: np.random.Generator | None = None, value: float = 0.0,
             dtype=np.float64) -> np.ndarray:
    """Every entry ``value``."""
    return np.full(shape, value, dtype=dtype)


def normal(shape: Shape, rng: np.random.Generator | None = None, mean: float = 0.0,
           std: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Entries drawn from N(mean, std^2)."""
    return (mean + std * _rng(rng).standard_normal(shape)).astype(dtype, copy=False)


def uniform(shape: Shape, rng: np.random.Generator | None = None, a: float = 0.0,
            b: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Entries drawn from U(a, b)."""
    return _rng(rng).uniform(a, b, size=shape).astype(dtype, copy=False)


def xavier_uniform(shape: Shape, rng: np.random.Generator | None = None, gain: float = 1.0,
                   dtype=np.float64) -> np.ndarray:
    """U(-a, a) with ``a = gain sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape, "xavier_uniform")
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, rng, -a, a, dtype)


def xavier_normal(shape: Shape, rng: np.random.Generator | None = None, gain: float = 1.0,
                  dtype=np.float64) -> np.ndarray:
    """N(0, std^2) with ``std = gain sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape, "xavier_normal")
    return normal(shape, rng, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), dtype)


def _kaiming_std(shape: Shape, fn: str, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fans(shape, fn)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(shape: Shape, rng: np.random.Generator | None = None, a: float = 0.0,
                    mode: str = "fan_in", nonlinearity: str = "relu",
                    dtype=np.float64) -> np.ndarray:
    """He uniform: U(-b, b) with ``b = sqrt(3) gain / sqrt(fan)`` (ReLU: ``sqrt(6 / fan)``);
    ``a`` is the leaky ReLU slope when ``nonlinearity='leaky_relu'``."""
    bound = math.sqrt(3.0) * _kaiming_std(shape, "kaiming_uniform", a, mode, nonlinearity)
    return uniform(shape, rng, -bound, bound, dtype)


def kaiming_normal(shape: Shape, rng: np.random.Generator | None = None, a: float = 0.0,
                   mode: str = "fan_in", nonlinearity: str = "relu",
                   dtype=np.float64) -> np.ndarray:
    """He normal: N(0, std^2) with ``std = gain / sqrt(fan)`` (ReLU: ``sqrt(2 / fan_in)``)."""
    return normal(shape, rng, 0.0, _kaiming_std(shape, "kaiming_normal", a, mode, nonlinearity),
                  dtype)


def orthogonal(shape: Shape, rng: np.random.Generator | None = None, gain: float = 1.0,
               dtype=np.float64) -> np.ndarray:
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al.).

    The weight is viewed as a matrix (shape[0], prod(shape[1:])); a Gaussian matrix of that
    shape is QR-factorised and Q (sign-corrected by diag(R) so the result is uniformly
    distributed) is kept: rows orthonormal when there are fewer rows than columns, columns
    orthonormal otherwise.
    """
    if len(shape) < 2:
        raise ValueError(f"orthogonal: needs a shape with at least 2 dimensions, got {shape}")
    rows, cols = shape[0], int(np.prod(shape[1:]))
    flat = _rng(rng).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(dtype, copy=False)
