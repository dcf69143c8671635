"""Datasets: the embedded digits, synthetic 2-D problems, a minibatch iterator, and downloadable
MNIST, Fashion-MNIST and CIFAR-10 (checksummed, cached).

Downloads go through pooch with pinned checksums into ``$COURSE_LIB_DATA_DIR`` (default
``~/.cache/course_lib``). Offline, they raise :class:`DatasetUnavailable`, which names
:func:`load_digits` as the embedded alternative.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np


class Splits(NamedTuple):
    """Train/validation/test arrays. ``X_*`` float64, ``y_*`` int64 class labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _stratified_split(
    y: np.ndarray, fractions: tuple[float, float], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (train, val, test), each class split in the same proportions."""
    train, val, test = [], [], []
    for cls in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == cls))
        n_val = int(round(fractions[0] * len(idx)))
        n_test = int(round(fractions[1] * len(idx)))
        val.append(idx[:n_val])
        test.append(idx[n_val:n_val + n_test])
        train.append(idx[n_val + n_test:])
    return tuple(rng.permutation(np.concatenate(part)) for part in (train, val, test))


def load_digits(
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    standardize: bool = True,
    flatten: bool = True,
) -> Splits:
    """scikit-learn's 1,797 8x8 handwritten digits (embedded: no network), split and scaled.

    Standardisation uses the TRAINING statistics only, ``x' = (x - mean_train) / std_train`` per
    pixel (a constant pixel's std is taken as 1). Without it, pixels are scaled to [0, 1].

    Args:
        val_fraction, test_fraction: the share of each class held out.
        seed: the split's seed (the same seed gives the same split).
        standardize: standardise (default) or scale to [0, 1].
        flatten: rows of 64 features (default) or images of shape (N, 1, 8, 8).
    Returns:
        :class:`Splits` with 10 classes.
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    X = bunch.data.astype(np.float64) / 16.0
    y = bunch.target.astype(np.int64)
    train, val, test = _stratified_split(y, (val_fraction, test_fraction),
                                         np.random.default_rng(seed))
    if standardize:
        mean = X[train].mean(axis=0)
        std = X[train].std(axis=0)
        std[std < 1e-8] = 1.0
        X = (X - mean) / std
    if not flatten:
        X = X.reshape(-1, 1, 8, 8)
    return Splits(X[train], y[train], X[val], y[val], X[test], y[test])


def make_spirals(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class: the classic data a linear model cannot separate.

    Point k of class c: radius ``r = k / n``, angle ``theta = 4 (c + r) + noise N(0, 1)``,
    ``x = r (sin theta, cos theta)``. Returns X (N, 2) float64, y (N,) int64.
    """
    rng = np.random.default_rng() if rng is None else rng
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_per_class)
    theta = 4.0 * (y + r) + noise * rng.standard_normal(r.shape)
    X = np.column_stack([r * np.sin(theta), r * np.cos(theta)])
    return X, y.astype(np.int64)


def make_moons(
    n_samples: int = 200, noise: float = 0.1, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (classes 0 and 1), Gaussian noise of std ``noise``."""
    rng = np.random.default_rng() if rng is None else rng
    n0 = n_samples // 2
    n1 = n_samples - n0
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.vstack([np.column_stack([np.cos(t0), np.sin(t0)]),
                   np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])])
    X += noise * rng.standard_normal(X.shape)
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_blobs(
    n_per_class: int = 100, centers: int | np.ndarray = 3, std: float = 1.0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs in 2-D around ``centers`` (a count, placed on a circle of radius 4, or an
    array (K, 2)). Returns X (N, 2) float64, y (N,) int64."""
    rng = np.random.default_rng() if rng is None else rng
    if np.isscalar(centers):
        angles = 2 * np.pi * np.arange(int(centers)) / int(centers)
        centers = 4.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    centers = np.asarray(centers, dtype=np.float64)
    y = np.repeat(np.arange(len(centers)), n_per_class)
    X = centers[y] + std * rng.standard_normal((len(y), 2))
    order = rng.permutation(len(y))
    return X[order], y[order].astype(np.int64)


def iterate_minibatches(
    X: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool = True,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` of ``batch_size`` rows (the last batch may be smaller).

    Raises:
        ValueError: when ``X`` and ``y`` have different lengths or ``batch_size < 1``.
    """
    if len(X) != len(y):
        raise ValueError(
            f"iterate_minibatches: X has {len(X)} rows (shape {np.shape(X)}) but y has "
            f"{len(y)} (shape {np.shape(y)})"
        )
    if batch_size < 1:
        raise ValueError(f"iterate_minibatches: batch_size must be >= 1, got {batch_size}")
    order = (np.random.default_rng() if rng is None else rng).permutation(len(X)) \
        if shuffle else np.arange(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]
