"""How fast the optimizer playground recomputes: 6 trajectories x 500 steps, limit 100 ms.

Run: ``python benchmarks/bench_playground.py [--repeats N]``. Prints the median (and the
fastest) of ``N`` recomputes on every surface, where the time goes per optimizer step (the
engine optimizer's ``step()``, the surface gradient, the loop around them), and how long the
widget takes to redraw everything and to draw one animation frame. Exits 1 when the median
recompute on some surface exceeds the limit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from course_lib.engine import optim
from course_lib.engine.nn import Parameter
from course_lib.viz.playground import OPTIMIZER_NAMES, optimizer_configs, run_trajectories
from course_lib.viz.surfaces import SURFACES, make_surface

LIMIT_MS = 100.0
STEPS = 500


def _times_ms(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - began))
    return times


def recompute_times(repeats: int) -> dict[str, list[float]]:
    """Milliseconds per recompute of all six optimizers, per surface at its default lr."""
    configs = optimizer_configs(OPTIMIZER_NAMES)
    results = {}
    for name in SURFACES:
        surface = make_surface(name)
        results[name] = _times_ms(
            lambda s=surface: run_trajectories(s, configs, s.start, STEPS, s.default_lr), repeats
        )
    noisy = make_surface("Rosenbrock", noise=1.0)
    results["noisy Rosenbrock"] = _times_ms(
        lambda: run_trajectories(noisy, configs, noisy.start, STEPS, noisy.default_lr), repeats
    )
    return results


def step_breakdown_us(repeats: int) -> dict[str, float]:
    """Microseconds per step of each engine optimizer's ``step()`` alone, and of a gradient."""
    surface = make_surface("Rosenbrock")
    out = {}
    for name, config in optimizer_configs(OPTIMIZER_NAMES).items():
        kwargs = dict(config)
        param = Parameter(np.array([-1.2, 1.0]))
        optimizer = getattr(optim, kwargs.pop("type"))([param], lr=1e-6, **kwargs)
        param.grad = np.array([1e-3, -1e-3])

        def steps(optimizer: optim.Optimizer = optimizer) -> None:
            for _ in range(STEPS):
                optimizer.step()

        out[f"{name}: optimizer.step()"] = (
            1e3 * statistics.median(_times_ms(steps, repeats)) / STEPS
        )

    def gradients() -> None:
        for _ in range(STEPS):
            gx, gy = surface.grad(-1.2, 1.0)
            np.array((gx, gy))

    out["surface gradient + np.array"] = (
        1e3 * statistics.median(_times_ms(gradients, repeats)) / STEPS
    )
    return out


def widget_times(repeats: int) -> dict[str, float]:
    """Milliseconds for the widget: a full recompute + redraw, and one animation frame."""
    from course_lib.viz.playground import OptimizerPlayground

    playground = OptimizerPlayground(surface="Rosenbrock", optimizers=OPTIMIZER_NAMES, steps=STEPS)
    lrs = iter(np.geomspace(5e-4, 2e-3, repeats + 1))
    redraw = _times_ms(lambda: setattr(playground.lr_slider, "value", float(next(lrs))), repeats)
    frames = iter(range(1, 10 * repeats))
    frame = _times_ms(lambda: setattr(playground.step_slider, "value", next(frames)), repeats)
    return {"recompute + redraw": statistics.median(redraw), "one frame": statistics.median(frame)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed repeats [15]")
    args = parser.parse_args(argv)

    print(
        f"playground recompute: {len(OPTIMIZER_NAMES)} optimizers x {STEPS} steps "
        f"(median of {args.repeats}, limit {LIMIT_MS:.0f} ms)"
    )
    worst = 0.0
    for name, times in recompute_times(args.repeats).items():
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"  {name:18s} median {median:7.1f} ms   fastest {min(times):7.1f} ms")
    print("per step (engine optimizer and surface, microseconds):")
    for name, us in step_breakdown_us(args.repeats).items():
        print(f"  {name:32s} {us:6.1f} us")
    print("widget (milliseconds, median):")
    for name, ms in widget_times(max(3, args.repeats // 3)).items():
        print(f"  {name:18s} {ms:7.1f} ms")
    verdict = "OK" if worst < LIMIT_MS else "TOO SLOW"
    print(f"slowest surface: {worst:.1f} ms against the {LIMIT_MS:.0f} ms limit: {verdict}")
    return 0 if worst < LIMIT_MS else 1


if __name__ == "__main__":
    sys.exit(main())
