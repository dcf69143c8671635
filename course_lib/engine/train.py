"""The fit loop: shuffled minibatches, per-epoch history, a progress bar, schedules, early
stopping, and a clear error the moment the loss diverges."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from course_lib.engine.nn import Module
from course_lib.engine.optim import Optimizer


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite during training."""


@dataclass
class History:
    """What happened in training, one entry per epoch (``step_loss``: one per update).

    ``train_acc``/``val_acc`` hold ``None`` for targets that are not class labels, and the
    ``val_*`` lists stay empty without validation data.
    """

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    @property
    def best_epoch(self) -> int:
        """Index of the epoch with the lowest validation loss (training loss without val)."""
        losses = self.val_loss or self.train_loss
        return int(np.argmin(losses))

    def plot(self, title: str | None = None) -> Any:
        """Loss (and accuracy, when there is one) against epoch; returns the matplotlib Figure."""
        import matplotlib.pyplot as plt

        has_acc = any(a is not None for a in self.train_acc)
        fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5, 3.5))
        axes = np.atleast_1d(axes)
        epochs = np.arange(1, self.epochs + 1)
        axes[0].plot(epochs, self.train_loss, label="train")
        if self.val_loss:
            axes[0].plot(epochs, self.val_loss, label="validation")
        axes[0].set(xlabel="epoch", ylabel="loss", title="loss")
        axes[0].legend()
        if has_acc:
            axes[1].plot(epochs, self.train_acc, label="train")
            if self.val_acc:
                axes[1].plot(epochs, self.val_acc, label="validation")
            axes[1].set(xlabel="epoch", ylabel="accuracy", title="accuracy")
            axes[1].legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        return fig


@dataclass
class EarlyStopping:
    """Stop when the validation loss has not improved by ``min_delta`` for ``patience`` epochs;
    with ``restore_best``, put back the parameters of the best epoch."""

    patience: int = 5
    min_delta: float = 0.0
    restore_best: bool = True
    best: float = field(default=np.inf, init=False)
    bad_epochs: int = field(default=0, init=False)
    best_params: list[np.ndarray] | None = field(default=None, init=False)

    def update(self, loss: float, model: Module) -> bool:
        """Record an epoch's loss; return True when training should stop."""
        if loss < self.best - self.min_delta:
            self.best, self.bad_epochs = loss, 0
            if self.restore_best:
                self.best_params = [p.data.copy() for p in model.parameters()]
            return False
        self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def restore(self, model: Module) -> None:
        if self.restore_best and self.best_params is not None:
            for p, best in zip(model.parameters(), self.best_params, strict=True):
                p.data[...] = best


def _is_classification(y: np.ndarray) -> bool:
    return np.asarray(y).ndim == 1 and np.issubdtype(np.asarray(y).dtype, np.integer)


def predict(model: Module, X: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """The model's outputs on ``X`` in evaluation mode, computed ``batch_size`` rows at a time.
    The model's mode is restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        return np.concatenate([model(X[i:i + batch_size]) for i in range(0, len(X), batch_size)])
    finally:
        model.train(was_training)


def evaluate(
    model: Module, loss: Any, X: np.ndarray, y: np.ndarray, batch_size: int = 512
) -> tuple[float, float | None]:
    """Mean loss and accuracy (``None`` unless ``y`` holds class labels) in evaluation mode."""
    out = predict(model, X, batch_size)
    value, _ = loss(out, y)
    acc = float(np.mean(out.argmax(axis=1) == y)) if _is_classification(y) else None
    return float(value), acc


def fit(
    model: Module,
    loss: Any,
    optimizer: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    batch_size: int,
    val: tuple[np.ndarray, np.ndarray] | None = None,
    scheduler: Any = None,
    early_stopping: EarlyStopping | int | None = None,
    progress: bool = True,
    rng: np.random.Generator | None = None,
) -> History:
    """Train ``model`` by minibatch gradient descent.

    Each step: ``out = model(X_b)``, ``value, dout = loss(out, y_b)``, ``model.backward(dout)``,
    ``optimizer.step()``. After each epoch the train (and validation) loss and accuracy are
    evaluated in eval mode, the scheduler steps (ReduceLROnPlateau with the validation loss, or
    the training loss without validation data), and early stopping is consulted.

    Args:
        model: an engine ``Module``.   loss: ``loss(pred, target) -> (value, dpred)``.
        optimizer: built on ``model.parameters()``.
        X, y: training inputs (N, ...) and targets (N, ...).
        epochs, batch_size: how long, and rows per update.
        val: optional ``(X_val, y_val)``.
        scheduler: optional learning-rate schedule with ``step()`` (or ``step(metric)``).
        early_stopping: an :class:`EarlyStopping`, or an int as its patience (needs ``val``
            to watch the validation loss; otherwise it watches the training loss).
        progress: show a ``tqdm`` bar over epochs.
        rng: shuffles the minibatches (seed it for reproducible runs).
    Returns:
        The :class:`History`.
    Raises:
        TrainingDiverged: the moment the loss is NaN or infinite.
        ValueError: when ``X`` and ``y`` have different lengths.
    """
    if len(X) != len(y):
        raise ValueError(f"fit: X has {len(X)} rows (shape {np.shape(X)}) but y has {len(y)} "
                         f"(shape {np.shape(y)})")
    if val is not None and len(val[0]) != len(val[1]):
        raise ValueError(f"fit: val X has shape {np.shape(val[0])} but val y has shape "
                         f"{np.shape(val[1])}")
    if isinstance(early_stopping, int):
        early_stopping = EarlyStopping(patience=early_stopping)
    rng = np.random.default_rng() if rng is None else rng
    history = History()
    step = 0
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        history.lr.append(optimizer.lr)
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            value, dout = loss(model(X[idx]), y[idx])
            step += 1
            if not np.isfinite(value):
                raise TrainingDiverged(
                    f"loss diverged at step {step} (epoch {epoch + 1}): it is {value}; "
                    f"learning rate {optimizer.lr:g} is probably too high, try "
                    f"{optimizer.lr / 10:g}"
                )
            history.step_loss.append(float(value))
            optimizer.zero_grad()
            model.backward(dout)
            optimizer.step()
        train_loss, train_acc = evaluate(model, loss, X, y)
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        monitored = train_loss
        if val is not None:
            val_loss, val_acc = evaluate(model, loss, *val)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            monitored = val_loss
        bar.set_postfix(loss=f"{train_loss:.4f}", **({"val": f"{monitored:.4f}"} if val else {}))
        if scheduler is not None:
            if getattr(scheduler, "needs_metric", False):
                scheduler.step(monitored)
            else:
                scheduler.step()
        if early_stopping is not None and early_stopping.update(monitored, model):
            history.stopped_early = True
            break
    if early_stopping is not None:
        early_stopping.restore(model)
    return history
