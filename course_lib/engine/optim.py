"""Optimizers with ``torch.optim``'s update rules and state names.

Each optimizer updates ``param.data`` in place from ``param.grad`` and keeps its per-parameter
state in ``optimizer.state[param]`` under torch's names (``momentum_buffer``, ``sum``,
``square_avg``, ``grad_avg``, ``exp_avg``, ``exp_avg_sq``, ``max_exp_avg_sq``, ``step``), so that
a trajectory can be compared with torch's step by step. Parameters whose ``grad`` is ``None``
are skipped. ``optimizer.lr`` is the current learning rate (schedules change it).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from course_lib.engine.nn import Parameter


class Optimizer:
    """Base class: holds the parameters, the learning rate and the per-parameter state."""

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise ValueError(
                    f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, not a "
                    "Parameter (pass model.parameters())"
                )
        _check_nonnegative(type(self).__name__, lr=lr)
        self.lr = lr
        self.initial_lr = lr
        self.state: dict[Parameter, dict] = {}

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to ``None``."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        for p in self.params:
            if p.grad is not None:
                self._update(p, p.grad, self.state.setdefault(p, {}))

    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


def _check_nonnegative(name: str, **values: float) -> None:
    for key, value in values.items():
        if not value >= 0:
            raise ValueError(f"{name}: {key} must be >= 0, got {value}")


def _check_beta(name: str, key: str, value: float) -> None:
    if not 0 <= value < 1:
        raise ValueError(f"{name}: {key} must lie in [0, 1), got {value}")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov and weight decay.

    ``g = grad + weight_decay p``; with momentum ``mu``: ``b = g`` on the first step, then
    ``b = mu b + (1 - dampening) g``; the step direction is ``g + mu b`` (Nesterov) or ``b``;
    ``p = p - lr direction``.
    """

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        _check_nonnegative("SGD", momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum}, dampening={dampening}"
            )
        self.momentum, self.dampening = momentum, dampening
        self.nesterov, self.weight_decay = nesterov, weight_decay

    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, dtype=p.data.dtype, copy=True)
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            grad = grad + self.momentum * buf if self.nesterov else buf
        p.data -= self.lr * grad

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, "
                f"weight_decay={self.weight_decay})")


class AdaGrad(Optimizer):
    """AdaGrad: per-coordinate steps shrink with the accumulated squared gradients.

    ``g = grad + weight_decay p``; ``t += 1``; ``clr = lr / (1 + (t - 1) lr_decay)``;
    ``sum += g^2``; ``p = p - clr g / (sqrt(sum) + eps)``.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, lr)
        _check_nonnegative("AdaGrad", lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        self.lr_decay, self.weight_decay, self.eps = lr_decay, weight_decay, eps
        self.initial_accumulator_value = initial_accumulator_value

    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, self.initial_accumulator_value)
        state["step"] += 1
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        clr = self.lr / (1 + (state["step"] - 1) * self.lr_decay)
        state["sum"] += grad * grad
        p.data -= clr * grad / (np.sqrt(state["sum"]) + self.eps)


class RMSProp(Optimizer):
    """RMSProp: steps scaled by a running average of squared gradients.

    ``g = grad + weight_decay p``; ``v = alpha v + (1 - alpha) g^2``; centred:
    ``m = alpha m + (1 - alpha) g`` and ``avg = sqrt(v - m^2) + eps``, else
    ``avg = sqrt(v) + eps``; with momentum ``mu``: ``b = mu b + g / avg``, ``p -= lr b``;
    otherwise ``p -= lr g / avg``.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, lr)
        _check_nonnegative("RMSProp", eps=eps, weight_decay=weight_decay, momentum=momentum)
        _check_beta("RMSProp", "alpha", alpha)
        self.alpha, self.eps, self.weight_decay = alpha, eps, weight_decay
        self.momentum, self.centered = momentum, centered

    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if self.momentum:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        square_avg = state["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * grad * grad
        if self.centered:
            grad_avg = state["grad_avg"]
            grad_avg *= self.alpha
            grad_avg += (1 - self.alpha) * grad
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + self.eps
        else:
            avg = np.sqrt(square_avg) + self.eps
        if self.momentum:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += grad / avg
            p.data -= self.lr * buf
        else:
            p.data -= self.lr * grad / avg


class Adam(Optimizer):
    """Adam with bias correction (Kingma and Ba), as ``torch.optim.Adam``.

    ``g = grad + weight_decay p``; ``m = b1 m + (1 - b1) g``; ``v = b2 v + (1 - b2) g^2``;
    ``mhat = m / (1 - b1^t)``, ``vhat = v / (1 - b2^t)`` (amsgrad: ``vmax = max(vmax, v)`` used
    for ``v``); ``p = p - lr mhat / (sqrt(vhat) + eps)``.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        _check_beta(name, "betas[0]", betas[0])
        _check_beta(name, "betas[1]", betas[1])
        _check_nonnegative(name, eps=eps, weight_decay=weight_decay)
        self.betas, self.eps, self.weight_decay, self.amsgrad = betas, eps, weight_decay, amsgrad

    def _decay(self, p: Parameter, grad: np.ndarray) -> np.ndarray:
        """Adam's L2 weight decay: added to the gradient."""
        return grad + self.weight_decay * p.data if self.weight_decay else grad

    def _update(self, p: Parameter, grad: np.ndarray, state: dict) -> None:
        b1, b2 = self.betas
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        grad = self._decay(p, grad)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * grad * grad
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        bias1, bias2 = 1 - b1**t, 1 - b2**t
        denom = np.sqrt(v) / np.sqrt(bias2) + self.eps
        p.data -= (self.lr / bias1) * m / denom

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, betas={self.betas}, " \
               f"weight_decay={self.weight_decay})"


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter), as ``torch.optim.AdamW``:
    ``p = p (1 - lr weight_decay)`` before the Adam step, which then sees the plain gradient."""

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

    def _decay(self, p: Parameter, grad: np.ndarray) -> np.ndarray:
        if self.weight_decay:
            p.data *= 1 - self.lr * self.weight_decay
        return grad
