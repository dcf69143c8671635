"""Layers as modules, named after ``torch.nn``; each is a thin wrapper over a functional pair.

A module keeps what its backward pass needs from the last forward call, so the training step is
``out = model(x); loss, dout = loss_fn(out, y); model.backward(dout); optimizer.step()``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


class Parameter:
    """A trainable array and its gradient.

    Attributes:
        data: the values, any shape.
        grad: the gradient of the loss with respect to ``data`` (same shape), or ``None``
            before the first backward pass and after ``zero_grad()``.
    """

    def __init__(self, data: np.ndarray) -> None:
        self.data = np.asarray(data)
        self.grad: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class: subclasses define ``forward(x)`` and ``backward(dout)``.

    Parameters and sub-modules are found through the instance's attributes (and lists or tuples
    of modules), in the order they were assigned, as ``torch.nn.Module`` does.
    """

    training: bool = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def backward(self, dout: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not define backward()")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def _children(self) -> Iterator[tuple[str, Module | Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, (Module, Parameter)):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Module, Parameter)):
                        yield f"{name}.{i}" if name != "layers" else str(i), item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)`` for every parameter, sub-modules included."""
        for name, child in self._children():
            full = f"{prefix}{name}"
            if isinstance(child, Parameter):
                yield full, child
            else:
                yield from child.named_parameters(prefix=f"{full}.")

    def parameters(self) -> list[Parameter]:
        """Every parameter of this module and its sub-modules, in definition order."""
        return [p for _, p in self.named_parameters()]

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, depth first."""
        yield self
        for _, child in self._children():
            if isinstance(child, Module):
                yield from child.modules()

    def zero_grad(self) -> None:
        """Reset every parameter's gradient to ``None``."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Switch this module and its sub-modules to training mode (BatchNorm, Dropout)."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode: BatchNorm uses running statistics, Dropout is identity."""
        return self.train(False)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
