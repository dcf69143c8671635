"""PyTorch reference models and training loop (the only course_lib module that imports torch).

- :func:`get_device`: CUDA, then Apple MPS, then the CPU.
- :class:`MLP` and :class:`ConvNet`: torch twins of the engine networks the labs build.
- :func:`from_engine` / :func:`copy_engine_weights`: the torch twin of an engine ``Sequential``
  with the same weights (engine ``Linear.W`` is (in, out), torch's ``weight`` is (out, in)).
- :func:`train_torch`, :func:`evaluate_torch`, :func:`throughput`: a training loop that uses
  the GPU, mixed precision (``torch.autocast`` + ``GradScaler``) and ``channels_last`` when
  CUDA is there, plain float32 on the CPU.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm


def get_device() -> torch.device:
    """The best available device: ``cuda``, then ``mps``, then ``cpu``."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


#: A training set up to this size is moved to the GPU once, rather than batch by batch.
DATA_ON_GPU_BYTES = 2 * 1024**3

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}


class MLP(nn.Sequential):
    """Linear layers of ``sizes`` (e.g. ``[64, 100, 10]``) with an activation between them,
    optionally BatchNorm1d after each hidden Linear and Dropout after each activation."""

    def __init__(self, sizes: Sequence[int], activation: str = "relu", batchnorm: bool = False,
                 dropout: float = 0.0) -> None:
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {sorted(_ACTIVATIONS)}, "
                             f"got {activation!r}")
        layers: list[nn.Module] = []
        for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(nn.Linear(d_in, d_out))
            if i < len(sizes) - 2:
                if batchnorm:
                    layers.append(nn.BatchNorm1d(d_out))
                layers.append(_ACTIVATIONS[activation]())
                if dropout:
                    layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


class ConvNet(nn.Sequential):
    """conv3x3 - ReLU - maxpool2 - conv3x3 - ReLU - maxpool2 - flatten - linear.

    Args:
        in_channels: 1 for digits and MNIST, 3 for CIFAR-10.
        num_classes: outputs of the last layer.
        channels: filters of the two convolutions.
        image_size: input height = width (8 for the embedded digits, 28, 32).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10,
                 channels: tuple[int, int] = (8, 16), image_size: int = 8) -> None:
        c1, c2 = channels
        side = image_size // 4
        super().__init__(
            nn.Conv2d(in_channels, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(c2 * side * side, num_classes),
        )


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(a, copy=True))


def from_engine(engine_model: Any) -> nn.Sequential:
    """The torch twin of an engine ``Sequential`` (or single layer), weights copied, in the
    engine arrays' dtype, in the engine model's train/eval mode."""
    from course_lib.engine import nn as enn

    layers = list(engine_model) if isinstance(engine_model, enn.Sequential) else [engine_model]
    twins: list[nn.Module] = []
    for layer in layers:
        if isinstance(layer, enn.Linear):
            twin = nn.Linear(layer.in_features, layer.out_features)
        elif isinstance(layer, enn.Conv2d):
            twin = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                             stride=layer.stride, padding=layer.padding)
        elif isinstance(layer, enn.BatchNorm2d):
            twin = nn.BatchNorm2d(layer.num_features, eps=layer.eps, momentum=layer.momentum)
        elif isinstance(layer, enn.BatchNorm1d):
            twin = nn.BatchNorm1d(layer.num_features, eps=layer.eps, momentum=layer.momentum)
        elif isinstance(layer, enn.LeakyReLU):
            twin = nn.LeakyReLU(layer.negative_slope)
        elif isinstance(layer, enn.ELU):
            twin = nn.ELU(layer.alpha)
        elif isinstance(layer, enn.MaxPool2d):
            twin = nn.MaxPool2d(layer.kernel_size, layer.stride)
        elif isinstance(layer, enn.Dropout):
            twin = nn.Dropout(layer.p)
        else:
            simple = {enn.ReLU: nn.ReLU, enn.Sigmoid: nn.Sigmoid, enn.Tanh: nn.Tanh,
                      enn.Flatten: nn.Flatten}
            if type(layer) not in simple:
                raise ValueError(f"from_engine: no torch twin for {layer!r}")
            twin = simple[type(layer)]()
        twins.append(twin)
    model = nn.Sequential(*twins)
    dtype = next((p.data.dtype for p in engine_model.parameters()), np.float32)
    model.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_engine_weights(engine_model, model)
    model.train(engine_model.training)
    return model


def copy_engine_weights(engine_model: Any, torch_model: nn.Module) -> None:
    """Copy parameters (and BatchNorm running statistics) from an engine model into its torch
    twin, layer by layer: ``Linear.weight = W.T``; conv weights have the same layout."""
    from course_lib.engine import nn as enn

    engine_layers = [m for m in engine_model.modules() if not isinstance(m, enn.Sequential)]
    torch_layers = [m for m in torch_model.modules() if not isinstance(m, nn.Sequential)]
    if len(engine_layers) != len(torch_layers):
        raise ValueError(f"copy_engine_weights: the engine model has {len(engine_layers)} "
                         f"layers but the torch model has {len(torch_layers)}")
    with torch.no_grad():
        for e, t in zip(engine_layers, torch_layers, strict=True):
            if isinstance(e, enn.Linear):
                t.weight.copy_(_tensor(e.W.data.T))
                t.bias.copy_(_tensor(e.b.data))
            elif isinstance(e, enn.Conv2d):
                t.weight.copy_(_tensor(e.W.data))
                t.bias.copy_(_tensor(e.b.data))
            elif isinstance(e, enn.BatchNorm1d):
                t.weight.copy_(_tensor(e.gamma.data))
                t.bias.copy_(_tensor(e.beta.data))
                t.running_mean.copy_(_tensor(e.running_mean))
                t.running_var.copy_(_tensor(e.running_var))


def _batches(X: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool,
             generator: torch.Generator | None):
    order = torch.randperm(len(X), generator=generator) if shuffle else torch.arange(len(X))
    order = order.to(X.device)
    for i in range(0, len(X), batch_size):
        idx = order[i:i + batch_size]
        yield X[idx], y[idx]


def train_torch(
    model: nn.Module,
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 128,
    device: torch.device | str | None = None,
    amp: bool = True,
    channels_last: bool = True,
    compile: bool = False,
    progress: bool = True,
    seed: int = 0,
    augment: Any = None,
) -> dict[str, list[float]]:
    """Train with Adam and cross-entropy on the best device.

    On CUDA: mixed precision (``torch.autocast`` in float16 with a ``GradScaler``) when ``amp``,
    ``channels_last`` memory format for 4-D inputs, and ``torch.compile`` when asked. On the
    CPU: plain float32.

    Args:
        model: a torch module (moved to ``device``).
        X, y: inputs (N, ...) float and labels (N,) int.
        augment: optional ``augment(x_batch) -> x_batch`` applied to each training batch.
    Returns:
        ``{"loss": [...], "acc": [...], "images_per_s": [...]}``, one entry per epoch.
    """
    device = torch.device(device) if device is not None else get_device()
    on_cuda = device.type == "cuda"
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.long)
    memory_format = torch.channels_last if (on_cuda and channels_last and X.ndim == 4) \
        else torch.contiguous_format
    model = model.to(device=device, dtype=torch.float32, memory_format=memory_format)
    step_model = torch.compile(model) if compile else model
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    use_amp = amp and on_cuda
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    generator = torch.Generator().manual_seed(seed)
    if on_cuda and X.numel() * X.element_size() <= DATA_ON_GPU_BYTES:
        X, y = X.to(device), y.to(device)  # one copy up front instead of one per batch
    history: dict[str, list[float]] = {"loss": [], "acc": [], "images_per_s": []}
    for _ in tqdm(range(epochs), desc="torch training", unit="epoch", disable=not progress,
                  leave=False):
        model.train()
        # running sums stay on the device: no host synchronisation inside the epoch
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        if on_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        for xb, yb in _batches(X, y, batch_size, True, generator):
            xb = xb.to(device, non_blocking=True)
            if xb.ndim == 4:
                xb = xb.contiguous(memory_format=memory_format)
            yb = yb.to(device, non_blocking=True)
            if augment is not None:
                xb = augment(xb)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                logits = step_model(xb)
                loss = nn.functional.cross_entropy(logits, yb)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss_sum += loss.detach().float() * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum()
        if on_cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        history["loss"].append(float(loss_sum) / len(y))
        history["acc"].append(int(correct) / len(y))
        history["images_per_s"].append(len(y) / seconds)
    return history


@torch.no_grad()
def evaluate_torch(model: nn.Module, X: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor,
                   device: torch.device | str | None = None, batch_size: int = 1024) -> float:
    """Accuracy of ``model`` on ``(X, y)`` in eval mode."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    model.eval()
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.long)
    correct = 0
    for xb, yb in _batches(X, y, batch_size, False, None):
        correct += int((model(xb.to(device)).argmax(dim=1).cpu() == yb).sum())
    return correct / len(y)


def throughput(model: nn.Module, input_shape: tuple[int, ...], batch_size: int = 128,
               device: torch.device | str | None = None, steps: int = 20, amp: bool = True,
               channels_last: bool = True, warmup: int = 3) -> float:
    """Training images per second of ``model`` on random inputs of ``input_shape`` (C, H, W):
    the median over ``steps`` timed steps (forward, backward, Adam update)."""
    device = torch.device(device) if device is not None else get_device()
    on_cuda = device.type == "cuda"
    memory_format = torch.channels_last if (on_cuda and channels_last) else torch.contiguous_format
    model = model.to(device=device, dtype=torch.float32, memory_format=memory_format).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    use_amp = amp and on_cuda
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    x = torch.randn(batch_size, *input_shape, device=device).contiguous(
        memory_format=memory_format)
    yb = torch.randint(0, 10, (batch_size,), device=device)
    times = []
    for i in range(warmup + steps):
        if on_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
            loss = nn.functional.cross_entropy(model(x), yb)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if on_cuda:
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return batch_size / float(np.median(times))
