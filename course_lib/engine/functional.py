"""Pure forward/backward pairs: the math the labs teach, in one place.

Conventions (see DESIGN.md):
- every ``*_forward`` returns ``(out, cache)``; every ``*_backward(dout, cache)`` returns the
  gradients of the forward's array inputs, in order (just ``dx`` when there is one input);
- losses return ``(loss, dinput)``, averaged over the batch;
- arrays are batch-first; dtype is preserved (float32 in, float32 out).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from course_lib.engine._checks import check_labels, check_ndim, check_same_shape

Cache = Any

# --------------------------------------------------------------------------------------------
# Linear
# --------------------------------------------------------------------------------------------


def linear_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Cache]:
    """Affine map ``out = x W + b``.

    Args:
        x: inputs, shape (N, D).   W: weights, shape (D, M).   b: bias, shape (M,).
    Returns:
        out, shape (N, M), and the cache ``(x, W)``.
    """
    check_ndim("linear_forward", x=(x, 2), W=(W, 2), b=(b, 1))
    if x.shape[1] != W.shape[0] or W.shape[1] != b.shape[0]:
        raise ValueError(
            f"linear_forward: x {x.shape}, W {W.shape} and b {b.shape} do not fit; expected "
            f"x (N, D), W (D, M), b (M,)"
        )
    return x @ W + b, (x, W)


def linear_backward(dout: np.ndarray, cache: Cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``dx = dout W^T``, ``dW = x^T dout``, ``db = sum_n dout[n]``.

    Args:
        dout: upstream gradient, shape (N, M).   cache: ``(x, W)`` from the forward pass.
    Returns:
        dx (N, D), dW (D, M), db (M,).
    """
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


# --------------------------------------------------------------------------------------------
# Elementwise activations: the Jacobian is diagonal, so backward is an elementwise product.
# --------------------------------------------------------------------------------------------


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, Cache]:
    """``out = max(0, x)``; the cache is ``x``."""
    return np.maximum(x, 0), x


def relu_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dx = dout * [x > 0]``."""
    return dout * (cache > 0)


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, Cache]:
    """``out = 1 / (1 + exp(-x))``, computed without overflow; the cache is ``out``."""
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    return out, out


def sigmoid_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dx = dout * s (1 - s)`` with ``s = sigmoid(x)``."""
    s = cache
    return dout * s * (1 - s)


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, Cache]:
    """``out = tanh(x)``; the cache is ``out``."""
    out = np.tanh(x)
    return out, out


def tanh_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dx = dout * (1 - tanh(x)^2)``."""
    return dout * (1 - cache * cache)


def leaky_relu_forward(x: np.ndarray, negative_slope: float = 0.01) -> tuple[np.ndarray, Cache]:
    """``out = x`` where ``x > 0``, else ``negative_slope * x``; cache ``(x, negative_slope)``."""
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False), (x, negative_slope)


def leaky_relu_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dx = dout`` where ``x > 0``, else ``negative_slope * dout``."""
    x, slope = cache
    return np.where(x > 0, dout, slope * dout).astype(dout.dtype, copy=False)


def elu_forward(x: np.ndarray, alpha: float = 1.0) -> tuple[np.ndarray, Cache]:
    """``out = x`` where ``x > 0``, else ``alpha (exp(x) - 1)``; cache ``(x, out, alpha)``."""
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)
    return out, (x, out, alpha)


def elu_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dx = dout`` where ``x > 0``, else ``dout (out + alpha)`` (= ``alpha exp(x) dout``)."""
    x, out, alpha = cache
    return np.where(x > 0, dout, dout * (out + alpha)).astype(dout.dtype, copy=False)


# --------------------------------------------------------------------------------------------
# Softmax and losses
# --------------------------------------------------------------------------------------------


def log_softmax(x: np.ndarray) -> np.ndarray:
    """``log softmax(x)`` along the last axis, stable by log-sum-exp:
    ``x_i - m - log sum_j exp(x_j - m)`` with ``m = max_j x_j``."""
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(x: np.ndarray) -> np.ndarray:
    """``softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m)`` along the last axis (stable)."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood of the labels under ``softmax(logits)``.

    ``L = -1/N sum_n log softmax(z_n)[y_n]`` and ``dL/dz = (softmax(z) - onehot(y)) / N``.

    Args:
        logits: scores, shape (N, C).   y: integer labels in [0, C), shape (N,).
    Returns:
        the loss (a float) and dlogits, shape (N, C).
    """
    check_ndim("softmax_cross_entropy", logits=(logits, 2))
    n, c = logits.shape
    y = check_labels("softmax_cross_entropy", y, n, c)
    logp = log_softmax(logits)
    loss = -logp[np.arange(n), y].mean()
    dlogits = np.exp(logp)
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    return float(loss), dlogits


def mse_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean squared error over every element, as ``torch.nn.MSELoss``.

    ``L = mean((pred - target)^2)``, ``dL/dpred = 2 (pred - target) / pred.size``.
    """
    check_same_shape("mse_loss", "pred", pred, "target", target)
    diff = pred - target
    return float(np.mean(diff * diff)), 2 * diff / diff.size


def bce_with_logits(logits: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Binary cross-entropy on logits, mean over elements, as ``torch.nn.BCEWithLogitsLoss``.

    ``L = mean(max(z, 0) - z t + log(1 + exp(-|z|)))`` (stable form),
    ``dL/dz = (sigmoid(z) - t) / z.size``.
    """
    check_same_shape("bce_with_logits", "logits", logits, "target", target)
    z = logits
    loss = np.maximum(z, 0) - z * target + np.log1p(np.exp(-np.abs(z)))
    return float(loss.mean()), (sigmoid_forward(z)[0] - target) / z.size


# --------------------------------------------------------------------------------------------
# Batch normalisation
# --------------------------------------------------------------------------------------------


def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, Cache]:
    """Batch normalisation over the batch axis, torch's conventions.

    Training: ``mu = mean_n x``, ``var = mean_n (x - mu)^2`` (biased),
    ``xhat = (x - mu) / sqrt(var + eps)``, ``out = gamma xhat + beta``; the running arrays are
    updated IN PLACE, ``running = (1 - momentum) running + momentum batch_stat``, with the
    unbiased variance ``var N / (N - 1)`` for ``running_var``.
    Evaluation: the same with ``mu, var = running_mean, running_var``.

    Args:
        x: (N, D).   gamma, beta, running_mean, running_var: (D,).
    Returns:
        out (N, D) and the cache ``(xhat, gamma, inv_std)``.
    """
    check_ndim("batchnorm_forward", x=(x, 2), gamma=(gamma, 1), beta=(beta, 1))
    d = x.shape[1]
    for name, arr in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                      ("running_var", running_var)):
        if np.shape(arr) != (d,):
            raise ValueError(
                f"batchnorm_forward: {name} has shape {np.shape(arr)}, expected ({d},) for "
                f"x of shape {x.shape}"
            )
    if training:
        n = x.shape[0]
        if n < 2:
            raise ValueError(
                f"batchnorm_forward: training needs more than one example per batch to "
                f"estimate a variance, got x of shape {x.shape}"
            )
        mu = x.mean(axis=0)
        xc = x - mu
        var = (xc * xc).mean(axis=0)
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var * (n / (n - 1))
    else:
        xc = x - running_mean
        var = running_var
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
    xhat = xc * inv_std
    return xhat * gamma + beta, (xhat, gamma, inv_std, training)


def batchnorm_backward(
    dout: np.ndarray, cache: Cache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed-form BatchNorm backward.

    Training mode: ``dx = inv_std / N (N dxhat - sum dxhat - xhat sum(dxhat xhat))`` with
    ``dxhat = dout gamma``. Evaluation mode (fixed statistics): ``dx = dxhat inv_std``.
    ``dgamma = sum_n dout xhat``, ``dbeta = sum_n dout``.

    Returns:
        dx (N, D), dgamma (D,), dbeta (D,).
    """
    xhat, gamma, inv_std, training = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    if not training:
        return dxhat * inv_std, dgamma, dbeta
    n = dout.shape[0]
    dx = (inv_std / n) * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, dgamma, dbeta


def _nchw_to_rows(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N H W, C), each row one pixel's channels."""
    n, c, h, w = x.shape
    return x.transpose(0, 2, 3, 1).reshape(n * h * w, c)


def _rows_to_nchw(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def batchnorm2d_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, Cache]:
    """Spatial BatchNorm on (N, C, H, W): statistics per channel over N, H and W.

    Reshapes to (N H W, C) and applies :func:`batchnorm_forward`.
    Returns out (N, C, H, W) and the cache ``(cache_1d, x.shape)``.
    """
    check_ndim("batchnorm2d_forward", x=(x, 4))
    out, cache = batchnorm_forward(_nchw_to_rows(x), gamma, beta, running_mean, running_var,
                                   training, momentum, eps)
    return _rows_to_nchw(out, x.shape), (cache, x.shape)


def batchnorm2d_backward(
    dout: np.ndarray, cache: Cache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`batchnorm2d_forward`: dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    cache_1d, shape = cache
    dx, dgamma, dbeta = batchnorm_backward(_nchw_to_rows(dout), cache_1d)
    return _rows_to_nchw(dx, shape), dgamma, dbeta


# --------------------------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------------------------


def dropout_forward(
    x: np.ndarray, p: float, training: bool, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, Cache]:
    """Inverted dropout, torch's convention: ``p`` is the probability of DROPPING a unit.

    Training: ``mask = (u >= p) / (1 - p)`` with ``u ~ U[0, 1)``, ``out = x mask`` (so the
    expectation of ``out`` is ``x``). Evaluation, or ``p == 0``: identity. ``p == 1``: zeros.
    The cache is the mask (``None`` for the identity).
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout_forward: p must lie in [0, 1], got {p}")
    if not training or p == 0:
        return x, None
    if p == 1:
        mask = np.zeros_like(x)
    else:
        rng = np.random.default_rng() if rng is None else rng
        mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1 - p)
    return x * mask, mask


def dropout_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """``dx = dout * mask`` (identity when the forward pass was)."""
    return dout if cache is None else dout * cache


# --------------------------------------------------------------------------------------------
# Convolution and pooling
# --------------------------------------------------------------------------------------------


def conv_output_size(size: int, kernel: int, stride: int, pad: int) -> int:
    """``1 + (size + 2 pad - kernel) // stride``."""
    return 1 + (size + 2 * pad - kernel) // stride


def _check_conv(fn: str, x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int):
    check_ndim(fn, x=(x, 4), W=(W, 4), b=(b, 1))
    if x.shape[1] != W.shape[1]:
        raise ValueError(
            f"{fn}: x has {x.shape[1]} channels (shape {x.shape}) but W expects {W.shape[1]} "
            f"(shape {W.shape}, layout (F, C, KH, KW))"
        )
    if b.shape != (W.shape[0],):
        raise ValueError(f"{fn}: b has shape {b.shape}, expected ({W.shape[0]},)")
    if stride < 1 or pad < 0:
        raise ValueError(f"{fn}: stride must be >= 1 and pad >= 0, got stride={stride}, pad={pad}")
    kh, kw = W.shape[2:]
    if x.shape[2] + 2 * pad < kh or x.shape[3] + 2 * pad < kw:
        raise ValueError(
            f"{fn}: the {kh}x{kw} kernel is larger than the padded input "
            f"{x.shape[2] + 2 * pad}x{x.shape[3] + 2 * pad} (x {x.shape}, pad {pad})"
        )


def conv2d_forward_naive(
    x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0
) -> tuple[np.ndarray, Cache]:
    """Convolution (cross-correlation, as torch) with explicit loops: the readable version.

    ``out[n, f, i, j] = b[f] + sum_{c, p, q} W[f, c, p, q] xpad[n, c, i s + p, j s + q]``.

    Args:
        x: (N, C, H, W).   W: (F, C, KH, KW).   b: (F,).
    Returns:
        out (N, F, H', W') with ``H' = 1 + (H + 2 pad - KH) // stride`` (likewise W'), and the
        cache ``(x, W, stride, pad)``.
    """
    _check_conv("conv2d_forward_naive", x, W, b, stride, pad)
    n, _, h, w = x.shape
    f, _, kh, kw = W.shape
    ho, wo = conv_output_size(h, kh, stride, pad), conv_output_size(w, kw, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, ho, wo), dtype=np.result_type(x, W))
    for i_n in range(n):
        for i_f in range(f):
            for i in range(ho):
                for j in range(wo):
                    window = xp[i_n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[i_n, i_f, i, j] = np.sum(window * W[i_f]) + b[i_f]
    return out, (x, W, stride, pad)


def conv2d_backward_naive(
    dout: np.ndarray, cache: Cache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loop backward of :func:`conv2d_forward_naive`: every output pixel sends
    ``dout[n, f, i, j] W[f]`` back to its input window and ``dout[n, f, i, j] window`` to
    ``dW[f]``; ``db[f] = sum dout[:, f]``.

    Returns:
        dx (N, C, H, W), dW (F, C, KH, KW), db (F,).
    """
    x, W, stride, pad = cache
    n, _, h, w = x.shape
    f, _, kh, kw = W.shape
    _, _, ho, wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    for i_n in range(n):
        for i_f in range(f):
            for i in range(ho):
                for j in range(wo):
                    rows = slice(i * stride, i * stride + kh)
                    cols = slice(j * stride, j * stride + kw)
                    dxp[i_n, :, rows, cols] += dout[i_n, i_f, i, j] * W[i_f]
                    dW[i_f] += dout[i_n, i_f, i, j] * xp[i_n, :, rows, cols]
    dx = dxp[:, :, pad:pad + h, pad:pad + w]
    return dx, dW, dout.sum(axis=(0, 2, 3))


def _windows(xp: np.ndarray, kh: int, kw: int, stride: int, ho: int, wo: int) -> np.ndarray:
    """A strided view (N, C, H', W', KH, KW) of every window of the padded input: no copy."""
    sn, sc, sh, sw = xp.strides
    n, c = xp.shape[:2]
    return as_strided(xp, shape=(n, c, ho, wo, kh, kw),
                      strides=(sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def conv2d_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0
) -> tuple[np.ndarray, Cache]:
    """Vectorised convolution by im2col: matrix products, no Python loop over pixels.

    The windows of the padded input form the matrix ``cols`` of shape (C KH KW, N H' W'): one
    column per output pixel, its receptive field (a strided view, copied once into a
    contiguous buffer; this row order keeps that copy sequential in memory). Then
    ``out = W.reshape(F, -1) @ cols + b``, computed image by image: ``cols[:, n-th block]``
    is a strided view, so ``np.matmul`` runs N products of (F, C KH KW) x (C KH KW, H' W')
    straight into the (N, F, H' W') result, with no copy and no transpose afterwards. N short
    products also stay in cache where one long (C KH KW, N H' W') operand does not.

    Args:
        x: (N, C, H, W).   W: (F, C, KH, KW).   b: (F,).
    Returns:
        out (N, F, H', W') and the cache ``(x.shape, cols, W, stride, pad)``.
    """
    _check_conv("conv2d_forward", x, W, b, stride, pad)
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    ho, wo = conv_output_size(h, kh, stride, pad), conv_output_size(w, kw, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else x
    cols = np.ascontiguousarray(
        _windows(xp, kh, kw, stride, ho, wo).transpose(1, 4, 5, 0, 2, 3)
    ).reshape(c * kh * kw, n * ho * wo)
    per_image = cols.reshape(-1, n, ho * wo).transpose(1, 0, 2)  # (N, C KH KW, H' W'), a view
    out = np.matmul(W.reshape(f, -1), per_image)  # (N, F, H' W')
    out += b[:, None]
    return out.reshape(n, f, ho, wo), (x.shape, cols, W, stride, pad)


def conv2d_backward(dout: np.ndarray, cache: Cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`conv2d_forward`.

    With ``D = dout`` as (F, N H' W'): ``dW = (D cols^T).reshape(W.shape)``, ``db = sum D``,
    ``dcols = W.reshape(F, -1)^T D``, both products image by image as in the forward pass
    (``dW`` sums N short products); col2im adds each row of ``dcols`` back onto the pixels it
    came from, one loop over the KH x KW kernel offsets (vectorised over images, channels and
    pixels).

    Returns:
        dx (N, C, H, W), dW (F, C, KH, KW), db (F,).
    """
    (n, c, h, w), cols, W, stride, pad = cache
    f, _, kh, kw = W.shape
    ho, wo = dout.shape[2:]
    d = np.ascontiguousarray(dout).reshape(n, f, ho * wo)
    per_image = cols.reshape(-1, n, ho * wo).transpose(1, 2, 0)  # (N, H' W', C KH KW), a view
    dW = np.matmul(d, per_image).sum(axis=0).reshape(W.shape)
    db = d.sum(axis=(0, 2))
    # dcols in the row order of cols, (C KH KW, N, H' W'), written image by image
    dcols = np.empty((cols.shape[0], n, ho * wo), dtype=np.result_type(W, d))
    np.matmul(W.reshape(f, -1).T, d, out=dcols.transpose(1, 0, 2))
    dcols = dcols.reshape(c, kh, kw, n, ho, wo)
    # accumulate in (C, N, H, W) order so that every added slice is contiguous
    dxp = np.zeros((c, n, h + 2 * pad, w + 2 * pad), dtype=dcols.dtype)
    row_end, col_end = stride * (ho - 1) + 1, stride * (wo - 1) + 1
    for p in range(kh):
        for q in range(kw):
            dxp[:, :, p:p + row_end:stride, q:q + col_end:stride] += dcols[:, p, q]
    dx = np.ascontiguousarray(dxp[:, :, pad:pad + h, pad:pad + w].transpose(1, 0, 2, 3))
    return dx, dW, db


def maxpool2d_forward(
    x: np.ndarray, kernel_size: int = 2, stride: int = 2
) -> tuple[np.ndarray, Cache]:
    """Max pooling over ``kernel_size`` x ``kernel_size`` windows, vectorised.

    ``out[n, c, i, j] = max_{p, q} x[n, c, i s + p, j s + q]``; H' = 1 + (H - K) // s.

    Args:
        x: (N, C, H, W).
    Returns:
        out (N, C, H', W') and the cache ``(x.shape, argmax, kernel_size, stride)`` where
        argmax is the flat index (p K + q) of each window's maximum (the first on ties, as torch).
    """
    check_ndim("maxpool2d_forward", x=(x, 4))
    n, c, h, w = x.shape
    if kernel_size > h or kernel_size > w or kernel_size < 1 or stride < 1:
        raise ValueError(
            f"maxpool2d_forward: a {kernel_size}x{kernel_size} window with stride {stride} does "
            f"not fit the input of shape {x.shape}"
        )
    ho = conv_output_size(h, kernel_size, stride, 0)
    wo = conv_output_size(w, kernel_size, stride, 0)
    if kernel_size == stride and h % stride == 0 and w % stride == 0:
        k = kernel_size
        windows = x.reshape(n, c, ho, k, wo, k).transpose(0, 1, 2, 4, 3, 5)
    else:
        windows = _windows(x, kernel_size, kernel_size, stride, ho, wo)
    flat = windows.reshape(n, c, ho, wo, kernel_size * kernel_size)
    argmax = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    return out, (x.shape, argmax, kernel_size, stride)


def maxpool2d_backward(dout: np.ndarray, cache: Cache) -> np.ndarray:
    """Route each ``dout[n, c, i, j]`` to the position of its window's maximum; add where
    windows overlap (stride < kernel_size).

    Returns:
        dx (N, C, H, W).
    """
    (n, c, h, w), argmax, k, stride = cache
    ho, wo = dout.shape[2:]
    rows = (np.arange(ho) * stride)[:, None] + argmax // k
    cols = (np.arange(wo) * stride)[None, :] + argmax % k
    dx = np.zeros((n, c, h, w), dtype=dout.dtype)
    nn_idx = np.arange(n)[:, None, None, None]
    cc_idx = np.arange(c)[None, :, None, None]
    if k <= stride:  # windows do not overlap: each input position receives at most once
        dx[nn_idx, cc_idx, rows, cols] = dout
    else:
        np.add.at(dx, (nn_idx, cc_idx, rows, cols), dout)
    return dx
