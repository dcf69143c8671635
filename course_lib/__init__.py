"""course_lib: the library behind the deep-learning course.

The NumPy engine lives in :mod:`course_lib.engine` and never imports torch; PyTorch reference
models live in :mod:`course_lib.reference`, which is imported only when asked for.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np

__version__ = "0.1.0"

__all__ = ["__version__", "get_device", "seed_everything"]


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's, NumPy's legacy and (when installed) PyTorch's generators.

    Args:
        seed: any non-negative integer.
    Returns:
        A fresh ``np.random.Generator`` seeded with ``seed``; pass it on as ``rng=`` so that
        code does not depend on global state.
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeding the legacy global generator is the point
    try:
        import torch
    except ImportError:
        pass
    else:
        torch.manual_seed(seed)
    return np.random.default_rng(seed)


def get_device() -> Any:
    """The best available ``torch.device``: CUDA, then Apple MPS, then the CPU.

    Imports torch on first call (the engine itself never does).
    """
    from course_lib.reference import get_device as _get_device

    return _get_device()
