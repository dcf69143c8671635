"""Layers as modules, named after ``torch.nn``; each is a thin wrapper over a functional pair.

A module keeps what its backward pass needs from the last forward call, so the training step is
``out = model(x); loss, dout = loss_fn(out, y); model.backward(dout); optimizer.step()``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from course_lib.engine import functional as F


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


def _torch_default_uniform(
    shape: tuple[int, ...], fan_in: int, rng: np.random.Generator | None
) -> np.ndarray:
    """torch's default for Linear and Conv2d parameters: U(-1/sqrt(fan_in), +1/sqrt(fan_in))."""
    rng = np.random.default_rng() if rng is None else rng
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape)


class Linear(Module):
    """``out = x W + b`` with ``W`` of shape (in_features, out_features) (torch's weight.T).

    Args:
        in_features, out_features: sizes D and M.
        init: ``init(shape, rng=rng) -> ndarray`` for ``W``; default: torch's
            U(-1/sqrt(D), 1/sqrt(D)) for both ``W`` and ``b``.
        rng: the generator for the initial values.
    """

    def __init__(self, in_features: int, out_features: int, init=None,
                 rng: np.random.Generator | None = None) -> None:
        self.in_features, self.out_features = in_features, out_features
        if init is None:
            W = _torch_default_uniform((in_features, out_features), in_features, rng)
        else:
            W = init((in_features, out_features), rng=rng)
        self.W = Parameter(W)
        self.b = Parameter(_torch_default_uniform((out_features,), in_features, rng))

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {self.in_features}), got {x.shape}"
            )
        out, self._cache = F.linear_forward(x, self.W.data, self.b.data)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.W.grad, self.b.grad = F.linear_backward(dout, self._cache)
        return dx

    def __repr__(self) -> str:
        return f"Linear({self.in_features} -> {self.out_features})"


class _Elementwise(Module):
    """An activation with no parameters: a functional pair applied elementwise."""

    _forward = staticmethod(F.relu_forward)
    _backward = staticmethod(F.relu_backward)

    def _kwargs(self) -> dict:
        return {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = self._forward(x, **self._kwargs())
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self._backward(dout, self._cache)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self._kwargs().items())
        return f"{type(self).__name__}({args})"


class ReLU(_Elementwise):
    """``max(0, x)``."""


class Sigmoid(_Elementwise):
    """``1 / (1 + exp(-x))``."""

    _forward = staticmethod(F.sigmoid_forward)
    _backward = staticmethod(F.sigmoid_backward)


class Tanh(_Elementwise):
    """``tanh(x)``."""

    _forward = staticmethod(F.tanh_forward)
    _backward = staticmethod(F.tanh_backward)


class LeakyReLU(_Elementwise):
    """``x`` for ``x > 0``, else ``negative_slope x``."""

    _forward = staticmethod(F.leaky_relu_forward)
    _backward = staticmethod(F.leaky_relu_backward)

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope

    def _kwargs(self) -> dict:
        return {"negative_slope": self.negative_slope}


class ELU(_Elementwise):
    """``x`` for ``x > 0``, else ``alpha (exp(x) - 1)``."""

    _forward = staticmethod(F.elu_forward)
    _backward = staticmethod(F.elu_backward)

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def _kwargs(self) -> dict:
        return {"alpha": self.alpha}


class BatchNorm1d(Module):
    """Batch normalisation of (N, D) inputs; see ``functional.batchnorm_forward``.

    Parameters ``gamma`` (ones) and ``beta`` (zeros); buffers ``running_mean`` (zeros) and
    ``running_var`` (ones), updated in training mode with torch's ``momentum`` convention.
    """

    _pair = (staticmethod(F.batchnorm_forward), staticmethod(F.batchnorm_backward))
    _ndim = 2

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5) -> None:
        self.num_features, self.momentum, self.eps = num_features, momentum, eps
        self.gamma = Parameter(np.ones(num_features))
        self.beta = Parameter(np.zeros(num_features))
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != self._ndim or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r}: expected input with {self._ndim} dimensions and "
                f"{self.num_features} features on axis 1, got {x.shape}"
            )
        out, self._cache = self._pair[0](
            x, self.gamma.data, self.beta.data, self.running_mean, self.running_var,
            self.training, self.momentum, self.eps,
        )
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.gamma.grad, self.beta.grad = self._pair[1](dout, self._cache)
        return dx

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.num_features}, momentum={self.momentum})"


class BatchNorm2d(BatchNorm1d):
    """Spatial batch normalisation of (N, C, H, W) inputs, statistics per channel."""

    _pair = (staticmethod(F.batchnorm2d_forward), staticmethod(F.batchnorm2d_backward))
    _ndim = 4


class Dropout(Module):
    """Inverted dropout; ``p`` is the probability of dropping a unit (identity in eval mode)."""

    def __init__(self, p: float = 0.5, rng: np.random.Generator | None = None) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must lie in [0, 1], got {p}")
        self.p = p
        self.rng = np.random.default_rng() if rng is None else rng

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = F.dropout_forward(x, self.p, self.training, self.rng)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.dropout_backward(dout, self._cache)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Conv2d(Module):
    """2-D convolution (im2col) with weights ``W`` (F, C, KH, KW) and bias ``b`` (F,).

    Default initialisation as torch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C KH KW.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int = 1, padding: int = 0, init=None,
                 rng: np.random.Generator | None = None) -> None:
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = (kh, kw), stride, padding
        shape = (out_channels, in_channels, kh, kw)
        fan_in = in_channels * kh * kw
        W = _torch_default_uniform(shape, fan_in, rng) if init is None else init(shape, rng=rng)
        self.W = Parameter(W)
        self.b = Parameter(_torch_default_uniform((out_channels,), fan_in, rng))

    def forward(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {self.in_channels}, H, W), got {x.shape}"
            )
        out, self._cache = F.conv2d_forward(x, self.W.data, self.b.data, self.stride,
                                            self.padding)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.W.grad, self.b.grad = F.conv2d_backward(dout, self._cache)
        return dx

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")


class MaxPool2d(Module):
    """Max pooling over ``kernel_size`` windows (stride defaults to the kernel size)."""

    def __init__(self, kernel_size: int = 2, stride: int | None = None) -> None:
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self._cache = F.maxpool2d_forward(x, self.kernel_size, self.stride)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return F.maxpool2d_backward(dout, self._cache)

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride})"


class Flatten(Module):
    """(N, ...) -> (N, prod(...)); backward restores the shape."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self._shape)


class Sequential(Module):
    """Layers applied in order; ``backward`` runs them in reverse.

    Parameters are named by position, as torch does: ``"0.W"``, ``"0.b"``, ``"2.W"``, ...
    """

    def __init__(self, *layers: Module) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise ValueError(
                    f"Sequential: argument {i} is a {type(layer).__name__}, not a Module"
                )
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
