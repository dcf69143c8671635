"""A one-minute check that the engine learns: the same MLP trained by the NumPy engine and by
PyTorch on the embedded digits, test accuracies side by side.

Run with ``python -m course_lib.demo`` (``make demo`` does, before the grading round trip).
"""

from __future__ import annotations

import time

import numpy as np

from course_lib import seed_everything
from course_lib.data import load_digits
from course_lib.engine import nn
from course_lib.engine.losses import CrossEntropyLoss
from course_lib.engine.optim import SGD
from course_lib.engine.train import evaluate, fit

HIDDEN = 64
EPOCHS = 30
BATCH_SIZE = 32
LR = 0.1
MOMENTUM = 0.9


def build_engine_mlp(in_features: int, num_classes: int, rng: np.random.Generator) -> nn.Sequential:
    """The demo network: Linear(in, 64) - ReLU - Linear(64, num_classes)."""
    return nn.Sequential(
        nn.Linear(in_features, HIDDEN, rng=rng),
        nn.ReLU(),
        nn.Linear(HIDDEN, num_classes, rng=rng),
    )


def train_engine(splits, rng: np.random.Generator) -> tuple[float, float]:
    """Train the engine MLP; return (test accuracy, seconds)."""
    model = build_engine_mlp(splits.X_train.shape[1], 10, rng)
    loss = CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    start = time.perf_counter()
    fit(model, loss, optimizer, splits.X_train, splits.y_train, epochs=EPOCHS,
        batch_size=BATCH_SIZE, progress=False, rng=rng)
    seconds = time.perf_counter() - start
    _, acc = evaluate(model, loss, splits.X_test, splits.y_test)
    return acc, seconds


def train_torch(splits, seed: int) -> tuple[float, float]:
    """Train the PyTorch reference MLP with the same recipe; return (test accuracy, seconds)."""
    import torch

    from course_lib.reference import MLP

    torch.manual_seed(seed)
    model = MLP([splits.X_train.shape[1], HIDDEN, 10]).double()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    X = torch.from_numpy(splits.X_train)
    y = torch.from_numpy(splits.y_train)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(EPOCHS):
        order = torch.randperm(len(X), generator=generator)
        for i in range(0, len(X), BATCH_SIZE):
            idx = order[i:i + BATCH_SIZE]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        pred = model(torch.from_numpy(splits.X_test)).argmax(dim=1).numpy()
    return float(np.mean(pred == splits.y_test)), seconds


def main(seed: int = 0) -> None:
    rng = seed_everything(seed)
    splits = load_digits()
    print(f"Embedded digits: {len(splits.X_train)} train, {len(splits.X_val)} val, "
          f"{len(splits.X_test)} test images; MLP 64-{HIDDEN}-10, SGD lr={LR} "
          f"momentum={MOMENTUM}, {EPOCHS} epochs")
    engine_acc, engine_s = train_engine(splits, rng)
    torch_acc, torch_s = train_torch(splits, seed)
    print(f"  course_lib engine : test accuracy {engine_acc:6.2%}  ({engine_s:.1f} s)")
    print(f"  PyTorch reference : test accuracy {torch_acc:6.2%}  ({torch_s:.1f} s)")


if __name__ == "__main__":
    main()
