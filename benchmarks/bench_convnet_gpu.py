"""The reference ConvNet trained on CIFAR-10-shaped input: CPU against CUDA.

``python -m benchmarks.bench_convnet_gpu`` trains :class:`course_lib.reference.ConvNet`
(3x32x32 input) with :func:`course_lib.reference.train_torch` (Adam, cross-entropy) and prints a
markdown table of training images per second and seconds per epoch for

- the CPU, float32;
- CUDA float32; CUDA with mixed precision (AMP); AMP with ``channels_last``; and the last with
  ``torch.compile`` (unless ``--no-compile``).

The data are the real CIFAR-10 training images when :func:`course_lib.data.load_cifar10` can get
them (from its cache, or a download when the server answers within a few seconds), random
tensors of shape (N, 3, 32, 32) with random labels otherwise (``--random`` forces those). The
speed does not depend on the pixel values. Each row trains ``--epochs`` epochs and reports the
last one, so that cuDNN's algorithm search and compilation are not counted; seconds per epoch
are for ``--images`` images (50,000: one CIFAR-10 epoch), and the CPU row, which trains on
``--cpu-images`` of them, is scaled to the same count. Without CUDA the CUDA rows are skipped
with the reason printed.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from dataclasses import dataclass

import numpy as np
import torch

from benchmarks.__main__ import machine
from course_lib import data, reference


@dataclass
class Row:
    name: str
    images_per_s: float | None
    note: str = ""


def load_images(n: int, random_only: bool, timeout: float = 3.0) -> tuple[str, np.ndarray,
                                                                            np.ndarray]:
    """``(source, X (n, 3, 32, 32) float32, y (n,) int64)``: CIFAR-10 when available, else
    random tensors of that shape."""
    reason = "--random given"
    if not random_only:
        cached = (data.data_dir() / "cifar10" / data.REGISTRY["cifar10"][0].fname).exists()
        if not cached:
            host = data.REGISTRY["cifar10"][0].url.split("/")[2]
            try:
                socket.create_connection((host, 443), timeout=timeout).close()
                cached = True
            except Exception as err:  # OSError, or a sandbox that forbids sockets
                reason = f"no network: {err}"
        if cached:
            try:
                X, y, _, _ = data.load_cifar10()
                reps = -(-n // len(X))  # more images than CIFAR-10 has: repeat it
                X, y = np.concatenate([X] * reps)[:n], np.concatenate([y] * reps)[:n]
                return "CIFAR-10 training images", X, y
            except (data.DatasetUnavailable, data.DatasetCorrupt, ImportError, OSError) as err:
                reason = str(err).splitlines()[0][:120]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, n)
    return f"random tensors (CIFAR-10 not used: {reason})", X, y


def train_speed(X: np.ndarray, y: np.ndarray, channels: tuple[int, int], epochs: int,
                batch_size: int, device: str, amp: bool = False, channels_last: bool = False,
                compile: bool = False) -> float:
    """Training images per second in the last of ``epochs`` epochs."""
    torch.manual_seed(0)
    model = reference.ConvNet(in_channels=3, num_classes=10, channels=channels, image_size=32)
    history = reference.train_torch(model, X, y, epochs=epochs, batch_size=batch_size,
                                    device=device, amp=amp, channels_last=channels_last,
                                    compile=compile, progress=False)
    return history["images_per_s"][-1]


def run(args: argparse.Namespace) -> tuple[str, list[Row]]:
    cpu_n = min(args.cpu_images, args.images)
    source, X, y = load_images(args.images if torch.cuda.is_available() else cpu_n, args.random)
    channels = tuple(args.channels)
    rows = []
    threads = torch.get_num_threads()
    rows.append(Row(f"CPU float32 ({threads} thread{'s' if threads != 1 else ''})",
                    train_speed(X[:cpu_n], y[:cpu_n], channels, args.epochs, args.batch_size,
                                "cpu"),
                    f"measured on {cpu_n:,} images"))
    cuda_modes = [("CUDA float32", {}),
                  ("CUDA AMP (float16 autocast)", {"amp": True}),
                  ("CUDA AMP + channels_last", {"amp": True, "channels_last": True})]
    if not args.no_compile:
        cuda_modes.append(("CUDA AMP + channels_last + torch.compile",
                           {"amp": True, "channels_last": True, "compile": True}))
    if not torch.cuda.is_available():
        print("CUDA rows skipped: torch.cuda.is_available() is False (no NVIDIA GPU or no CUDA "
              f"build of torch {torch.__version__})")
        rows += [Row(name, None, "skipped: no CUDA") for name, _ in cuda_modes]
    else:
        for name, options in cuda_modes:
            try:
                speed = train_speed(X, y, channels, args.epochs, args.batch_size, "cuda",
                                    **options)
                rows.append(Row(name, speed))
            except Exception as err:  # e.g. torch.compile without a working compiler
                first = str(err).strip().splitlines()[0][:100] if str(err).strip() else ""
                print(f"{name} failed: {type(err).__name__}: {first}")
                rows.append(Row(name, None, f"failed: {type(err).__name__}"))
    return source, rows


def table(rows: list[Row], epoch_images: int) -> str:
    cpu = rows[0].images_per_s
    lines = [f"| training mode | images/s | s per epoch ({epoch_images:,} images) | vs CPU "
             "| note |", "| --- | ---: | ---: | ---: | --- |"]
    for r in rows:
        if r.images_per_s is None:
            lines.append(f"| {r.name} | - | - | - | {r.note} |")
        else:
            lines.append(f"| {r.name} | {r.images_per_s:,.0f} | "
                         f"{epoch_images / r.images_per_s:.2f} | "
                         f"{r.images_per_s / cpu:.1f}x | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_convnet_gpu",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=50_000,
                        help="images per epoch on the GPU (default: one CIFAR-10 epoch)")
    parser.add_argument("--cpu-images", type=int, default=5_000,
                        help="images per epoch on the CPU (its time is scaled to --images)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per row; the last counts")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--channels", type=int, nargs=2, default=(16, 32),
                        metavar=("C1", "C2"), help="filters of the two convolutions")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile row")
    parser.add_argument("--random", action="store_true", help="random tensors, not CIFAR-10")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads for torch (default: torch's choice); on a busy "
                             "machine 1 is often faster")
    args = parser.parse_args(argv)
    if args.images < 1 or args.cpu_images < 1 or args.epochs < 1:
        parser.error("--images, --cpu-images and --epochs must be positive")

    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    source, rows = run(args)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    print(f"\nReference ConvNet, channels {tuple(args.channels)}, 3x32x32 input, batch "
          f"{args.batch_size}, Adam; data: {source}")
    print(f"Machine: {machine()}; GPU: {gpu}\n")
    print(table(rows, args.images))
    print(f"\n({time.perf_counter() - start:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
