"""The fit loop: learning, history, early stopping, divergence, schedules, progress bar."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib.data import make_blobs  # noqa: E402
from course_lib.engine import nn  # noqa: E402
from course_lib.engine.losses import CrossEntropyLoss  # noqa: E402
from course_lib.engine.optim import SGD  # noqa: E402
from course_lib.engine.schedules import StepLR  # noqa: E402
from course_lib.engine.train import (  # noqa: E402
    EarlyStopping,
    TrainingDiverged,
    evaluate,
    fit,
)


def problem(seed=0):
    rng = np.random.default_rng(seed)
    X, y = make_blobs(60, centers=3, std=0.8, rng=rng)
    model = nn.Sequential(nn.Linear(2, 16, rng=rng), nn.ReLU(), nn.Linear(16, 3, rng=rng))
    return X, y, model


def test_fit_learns_a_separable_problem_and_records_history():
    X, y, model = problem()
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(model, CrossEntropyLoss(), opt, X[:150], y[:150], epochs=15, batch_size=16,
                  val=(X[150:], y[150:]), progress=False, rng=np.random.default_rng(0))
    assert history.epochs == 15
    assert len(history.val_loss) == len(history.lr) == 15
    assert len(history.step_loss) == 15 * 10
    assert history.train_acc[-1] >= 0.95 and history.val_acc[-1] >= 0.95
    assert history.train_loss[-1] < history.train_loss[0]
    _, acc = evaluate(model, CrossEntropyLoss(), X, y)
    assert acc >= 0.95
    assert len(history.plot().axes) == 2


def test_same_rng_gives_the_same_history():
    runs = []
    for _ in range(2):
        X, y, model = problem(1)
        runs.append(fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05), X, y,
                        epochs=3, batch_size=32, progress=False,
                        rng=np.random.default_rng(5)).step_loss)
    assert runs[0] == runs[1]


def test_early_stopping_stops_and_restores_the_best_parameters():
    X, y, model = problem(2)
    stopper = EarlyStopping(patience=2)
    opt = SGD(model.parameters(), lr=0.5)
    # validation labels shuffled: validation loss stops improving quickly
    val_y = np.random.default_rng(0).permutation(y[:60])
    history = fit(model, CrossEntropyLoss(), opt, X, y, epochs=100, batch_size=32,
                  val=(X[:60], val_y), early_stopping=stopper, progress=False,
                  rng=np.random.default_rng(0))
    assert history.stopped_early and history.epochs < 100
    restored, _ = evaluate(model, CrossEntropyLoss(), X[:60], val_y)
    assert restored == pytest.approx(min(history.val_loss))
    assert history.best_epoch == int(np.argmin(history.val_loss))


def test_a_diverging_run_raises_with_the_step_and_learning_rate():
    X, y, model = problem(3)
    X = X * 1e3
    with pytest.raises(TrainingDiverged, match=r"loss diverged at step \d+ \(epoch \d+\).*"
                                               r"learning rate 1e\+06 is probably too high"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=1e6), X, y, epochs=50,
            batch_size=16, progress=False, rng=np.random.default_rng(0))


def test_scheduler_is_stepped_once_per_epoch():
    X, y, model = problem(4)
    opt = SGD(model.parameters(), lr=0.1)
    history = fit(model, CrossEntropyLoss(), opt, X, y, epochs=5, batch_size=64,
                  scheduler=StepLR(opt, 2, 0.5), progress=False, rng=np.random.default_rng(0))
    assert history.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_progress_false_prints_nothing_and_true_shows_a_bar(capsys):
    X, y, model = problem(5)
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=2,
        batch_size=64, progress=False, rng=np.random.default_rng(0))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=2,
        batch_size=64, progress=True, rng=np.random.default_rng(0))
    assert "training" in capsys.readouterr().err


def test_mismatched_inputs_raise():
    X, y, model = problem(6)
    with pytest.raises(ValueError, match=r"fit: X has 180 rows .* but y has 179"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y[:-1], epochs=1,
            batch_size=8, progress=False)
