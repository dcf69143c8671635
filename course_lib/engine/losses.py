"""Loss modules: ``loss_fn(pred, target) -> (loss, dpred)``, the mean over the batch.

Each wraps a functional loss from :mod:`course_lib.engine.functional`, and is named as in
``torch.nn`` so that ``CrossEntropyLoss`` here reads like ``nn.CrossEntropyLoss`` there.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from course_lib.engine import functional as F
from course_lib.engine.nn import Parameter


class Loss:
    """Base class: ``__call__(pred, target) -> (loss, dpred)``."""

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__} does not define __call__()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits (N, C) and integer labels (N,):
    ``L = -1/N sum_n log softmax(z_n)[y_n]``, ``dz = (softmax(z) - onehot(y)) / N``."""

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        return F.softmax_cross_entropy(pred, target)


class MSELoss(Loss):
    """Mean squared error over every element: ``L = mean((pred - target)^2)``."""

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        return F.mse_loss(pred, target)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits, mean over elements (stable log-sum-exp form)."""

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
        return F.bce_with_logits(pred, target)


def l2_penalty(
    params: Iterable[Parameter], weight_decay: float
) -> tuple[float, list[np.ndarray]]:
    """The L2 regularisation term and its gradients.

    ``R = weight_decay / 2 * sum_p ||p||^2`` and ``dR/dp = weight_decay * p``; with this
    convention, adding ``dR/dp`` to the gradient is exactly SGD's ``weight_decay`` option.

    Args:
        params: the parameters to penalise (usually weights, not biases).
        weight_decay: the coefficient (lambda), >= 0.
    Returns:
        The penalty (a float) and one gradient per parameter, in order.
    """
    if weight_decay < 0:
        raise ValueError(f"l2_penalty: weight_decay must be >= 0, got {weight_decay}")
    params = list(params)
    penalty = 0.5 * weight_decay * sum(float(np.sum(p.data * p.data)) for p in params)
    return penalty, [weight_decay * p.data for p in params]
