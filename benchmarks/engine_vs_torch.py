"""Engine against PyTorch on the CPU: time ratios measured side by side in one run.

Single-threaded (threadpoolctl pins NumPy's BLAS, ``torch.set_num_threads(1)`` pins torch),
float32, each figure the median of repeats. Side by side: the engine and PyTorch take turns,
a short block each (one untimed call, then timed ones), so that a noisy neighbour on a shared
machine slows both alike while each keeps its steady state (memory allocator, caches) within a
block. Every call is timed twice: wall clock (``perf_counter``) and the process's CPU time
(``process_time``, which leaves out the time the process waited for a core). Targets are from
the speed issue: a ratio above its target is a finding to work on, not a failure.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as TF
from threadpoolctl import threadpool_limits

from course_lib.engine import functional as F
from course_lib.engine import nn
from course_lib.engine.losses import CrossEntropyLoss
from course_lib.engine.optim import SGD


@dataclass
class Comparison:
    name: str
    engine_ms: float
    torch_ms: float
    target: float | None
    engine_cpu_ms: float = float("nan")
    torch_cpu_ms: float = float("nan")

    @property
    def ratio(self) -> float:
        """Engine over PyTorch, median wall-clock times."""
        return self.engine_ms / self.torch_ms

    @property
    def cpu_ratio(self) -> float:
        """Engine over PyTorch, median CPU times of the process."""
        return self.engine_cpu_ms / self.torch_cpu_ms


def median_ms(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def side_by_side(name: str, engine: Callable[[], object], reference: Callable[[], object],
                 repeats: int, target: float | None, block: int = 2) -> Comparison:
    """Median wall and CPU milliseconds of ``engine`` and ``reference``, taking turns.

    ``repeats`` rounds; in each, one block per side: an untimed call, then ``block`` timed ones.
    """
    wall: dict[str, list[float]] = {"engine": [], "torch": []}
    cpu: dict[str, list[float]] = {"engine": [], "torch": []}
    for _ in range(repeats):
        for side, fn in (("engine", engine), ("torch", reference)):
            fn()
            for _ in range(block):
                began_cpu, began = time.process_time(), time.perf_counter()
                fn()
                wall[side].append(time.perf_counter() - began)
                cpu[side].append(time.process_time() - began_cpu)
    med = {k: 1e3 * statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: 1e3 * statistics.median(v) for k, v in cpu.items()}
    return Comparison(name, med["engine"], med["torch"], target, med_cpu["engine"],
                      med_cpu["torch"])


def _conv_case(c_in: int, c_out: int, repeats: int, rng) -> Comparison:
    x = rng.standard_normal((64, c_in, 32, 32)).astype(np.float32)
    W = (0.1 * rng.standard_normal((c_out, c_in, 3, 3))).astype(np.float32)
    b = np.zeros(c_out, np.float32)
    dout = rng.standard_normal((64, c_out, 32, 32)).astype(np.float32)

    def engine():
        out, cache = F.conv2d_forward(x, W, b, 1, 1)
        F.conv2d_backward(dout, cache)

    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    dt = torch.tensor(dout)

    def reference():
        TF.conv2d(xt, Wt, bt, padding=1).backward(dt)

    target = 2.0 if c_in <= 3 else 4.0
    return side_by_side(f"conv 3x3 fwd+bwd {c_in}->{c_out} ch, 64x{c_in}x32x32", engine,
                        reference, repeats, target)


def _pool_case(repeats: int, rng) -> Comparison:
    x = rng.standard_normal((64, 16, 32, 32)).astype(np.float32)
    dout = rng.standard_normal((64, 16, 16, 16)).astype(np.float32)

    def engine():
        _, cache = F.maxpool2d_forward(x, 2, 2)
        F.maxpool2d_backward(dout, cache)

    xt, dt = torch.tensor(x, requires_grad=True), torch.tensor(dout)
    return side_by_side("max pool 2x2 fwd+bwd, 64x16x32x32", engine,
                        lambda: TF.max_pool2d(xt, 2, 2).backward(dt), repeats, 4.0)


def _batchnorm_case(repeats: int, rng) -> Comparison:
    x = rng.standard_normal((128, 256)).astype(np.float32)
    dout = rng.standard_normal((128, 256)).astype(np.float32)
    gamma, beta = np.ones(256, np.float32), np.zeros(256, np.float32)
    mean, var = np.zeros(256, np.float32), np.ones(256, np.float32)

    def engine():
        _, cache = F.batchnorm_forward(x, gamma, beta, mean, var, True)
        F.batchnorm_backward(dout, cache)

    bn = torch.nn.BatchNorm1d(256)
    xt, dt = torch.tensor(x, requires_grad=True), torch.tensor(dout)
    return side_by_side("BatchNorm fwd+bwd (128, 256)", engine, lambda: bn(xt).backward(dt),
                        repeats, 2.0)


def _step_case(name: str, engine_model: nn.Sequential, x: np.ndarray, y: np.ndarray,
               repeats: int, target: float | None) -> Comparison:
    from course_lib.reference import from_engine

    loss_fn = CrossEntropyLoss()
    opt = SGD(engine_model.parameters(), lr=0.01, momentum=0.9)

    def engine():
        _, dout = loss_fn(engine_model(x), y)
        opt.zero_grad()
        engine_model.backward(dout)
        opt.step()

    twin = from_engine(engine_model)
    topt = torch.optim.SGD(twin.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def reference():
        topt.zero_grad()
        TF.cross_entropy(twin(xt), yt).backward()
        topt.step()

    return side_by_side(name, engine, reference, repeats, target)


def _float32(model: nn.Sequential) -> nn.Sequential:
    for p in model.parameters():
        p.data = p.data.astype(np.float32)
    return model


def run(repeats: int = 10) -> list[Comparison]:
    """Every comparison, single-threaded, float32."""
    rng = np.random.default_rng(0)
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        results = [_conv_case(3, 16, repeats, rng), _conv_case(32, 32, repeats, rng),
                   _pool_case(repeats, rng), _batchnorm_case(repeats, rng)]
        mlp = _float32(nn.Sequential(nn.Linear(784, 256, rng=rng), nn.ReLU(),
                                     nn.Linear(256, 256, rng=rng), nn.ReLU(),
                                     nn.Linear(256, 10, rng=rng)))
        x = rng.standard_normal((64, 784)).astype(np.float32)
        y = rng.integers(0, 10, 64)
        results.append(_step_case("MLP 784-256-256-10 SGD step, batch 64", mlp, x, y, repeats,
                                  1.25))
        convnet = _float32(nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 8 * 8, 10, rng=rng)))
        images = rng.standard_normal((64, 3, 32, 32)).astype(np.float32)
        results.append(_step_case("small ConvNet SGD step, batch 64x3x32x32", convnet, images,
                                  y, repeats, None))
    return results


def naive_vs_im2col(repeats: int = 3) -> tuple[float, float]:
    """Milliseconds of the loop and the im2col convolution forward on (4, 3, 16, 16), 8 filters."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 16, 16))
    W, b = rng.standard_normal((8, 3, 3, 3)), np.zeros(8)
    with threadpool_limits(limits=1):
        naive = median_ms(lambda: F.conv2d_forward_naive(x, W, b, 1, 1), repeats, warmup=1)
        fast = median_ms(lambda: F.conv2d_forward(x, W, b, 1, 1), repeats * 10)
    return naive, fast
