"""Input validation shared by the engine: errors that name the function and the shapes."""

from __future__ import annotations

import numpy as np


def check_ndim(fn: str, **arrays: tuple[np.ndarray, int]) -> None:
    """Raise ``ValueError`` unless each named array has the expected number of dimensions.

    Args:
        fn: the public function or layer name, used in the message.
        arrays: ``name=(array, expected_ndim)``.
    """
    for name, (arr, ndim) in arrays.items():
        arr = np.asarray(arr)
        if arr.ndim != ndim:
            raise ValueError(
                f"{fn}: {name} must have {ndim} dimension(s), got shape {arr.shape} "
                f"({arr.ndim} dimension(s))"
            )


def check_same_shape(fn: str, a_name: str, a: np.ndarray, b_name: str, b: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same shape."""
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"{fn}: {a_name} has shape {np.shape(a)} but {b_name} has shape {np.shape(b)}; "
            "they must match"
        )


def check_labels(fn: str, y: np.ndarray, n: int, num_classes: int) -> np.ndarray:
    """Validate integer class labels ``y`` of shape ``(n,)`` with values in ``[0, num_classes)``.

    Returns:
        ``y`` as an integer array.
    """
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"{fn}: labels y must have shape ({n},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise ValueError(f"{fn}: labels y must be integers, got dtype {y.dtype}")
    if n and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"{fn}: labels must lie in [0, {num_classes}), got values from {y.min()} to {y.max()}"
        )
    return y
