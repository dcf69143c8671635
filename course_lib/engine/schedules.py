"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: ``scheduler.step()`` once per epoch
sets ``optimizer.lr`` for the next one; ``history`` lists every rate used, starting with the
initial one.
"""

from __future__ import annotations

import math

from course_lib.engine.optim import Optimizer


class LRScheduler:
    """Base class: ``lr_at(t)`` gives the rate after ``t`` calls to ``step()``."""

    needs_metric = False

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.t = 0
        self.history = [optimizer.lr]

    def lr_at(self, t: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.t += 1
        self.optimizer.lr = self.lr_at(self.t)
        self.history.append(self.optimizer.lr)

    def get_last_lr(self) -> float:
        return self.optimizer.lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.optimizer.lr:g}, t={self.t})"


class StepLR(LRScheduler):
    """``lr_t = lr_0 gamma^floor(t / step_size)``: drop by ``gamma`` every ``step_size`` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """``lr_t = lr_0 gamma^t``."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma**t


class InverseTimeLR(LRScheduler):
    """``lr_t = lr_0 / (1 + k t)``: the 1/t decay of stochastic approximation."""

    def __init__(self, optimizer: Optimizer, k: float) -> None:
        if k < 0:
            raise ValueError(f"InverseTimeLR: k must be >= 0, got {k}")
        super().__init__(optimizer)
        self.k = k

    def lr_at(self, t: int) -> float:
        return self.base_lr / (1 + self.k * t)


class CosineAnnealingLR(LRScheduler):
    """``lr_t = eta_min + (lr_0 - eta_min) (1 + cos(pi t / T_max)) / 2`` (torch's closed form;
    past ``T_max`` the cosine continues, rising again)."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, t: int) -> float:
        return self.eta_min + (self.base_lr - self.eta_min) * (
            1 + math.cos(math.pi * t / self.T_max)) / 2


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by ``factor`` once the monitored metric has not improved for
    ``patience`` epochs (then wait ``cooldown`` epochs); ``step(metric)`` each epoch.

    Improvement, mode 'min' with threshold_mode 'rel': ``metric < best (1 - threshold)``
    ('abs': ``metric < best - threshold``; mode 'max' mirrors these). Rates never go below
    ``min_lr``, and changes smaller than ``eps`` are skipped, as in torch.
    """

    needs_metric = True

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8) -> None:
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode "
                             f"'rel' or 'abs', got {mode!r}, {threshold_mode!r}")
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must lie in (0, 1), got {factor}")
        super().__init__(optimizer)
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lr, self.eps = cooldown, min_lr, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_epochs = 0
        self.cooldown_counter = 0

    def _improved(self, metric: float) -> bool:
        if self.mode == "min":
            limit = self.best * (1 - self.threshold) if self.threshold_mode == "rel" \
                else self.best - self.threshold
            return metric < limit
        limit = self.best * (1 + self.threshold) if self.threshold_mode == "rel" \
            else self.best + self.threshold
        return metric > limit

    def step(self, metric: float) -> None:  # type: ignore[override]
        self.t += 1
        if self._improved(metric):
            self.best, self.bad_epochs = metric, 0
        else:
            self.bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            new_lr = max(self.optimizer.lr * self.factor, self.min_lr)
            if self.optimizer.lr - new_lr > self.eps:
                self.optimizer.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.bad_epochs = 0
        self.history.append(self.optimizer.lr)
