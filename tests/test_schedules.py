"""Learning-rate schedules produce torch's sequences."""

import numpy as np
import pytest
import torch

from course_lib.engine import optim, schedules
from course_lib.engine.nn import Parameter

LRS = torch.optim.lr_scheduler
PLATEAU_METRIC = list(np.concatenate([np.linspace(1, 0.5, 10), np.full(20, 0.5),
                                      np.linspace(0.5, 0.4, 10), np.full(20, 0.45)]))


def sequences(make_ours, make_theirs, metrics=None, steps=60):
    opt = optim.SGD([Parameter(np.zeros(2))], lr=0.5)
    ours = make_ours(opt)
    t = torch.zeros(2, requires_grad=True)
    topt = torch.optim.SGD([t], lr=0.5)
    theirs = make_theirs(topt)
    a, b = [opt.lr], [topt.param_groups[0]["lr"]]
    for i in range(steps):
        topt.step()
        args = () if metrics is None else (metrics[i],)
        ours.step(*args)
        theirs.step(*args)
        a.append(opt.lr)
        b.append(topt.param_groups[0]["lr"])
    assert ours.history == a
    return np.array(a), np.array(b)


@pytest.mark.parametrize("ours,theirs", [
    (lambda o: schedules.StepLR(o, 7, 0.5), lambda o: LRS.StepLR(o, 7, 0.5)),
    (lambda o: schedules.ExponentialLR(o, 0.95), lambda o: LRS.ExponentialLR(o, 0.95)),
    (lambda o: schedules.InverseTimeLR(o, 0.3),
     lambda o: LRS.LambdaLR(o, lambda t: 1 / (1 + 0.3 * t))),
    (lambda o: schedules.CosineAnnealingLR(o, 20, 0.01),
     lambda o: LRS.CosineAnnealingLR(o, 20, 0.01)),
], ids=["step", "exponential", "inverse-time", "cosine"])
def test_schedule_matches_torch_for_60_steps(ours, theirs):
    a, b = sequences(ours, theirs)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kwargs", [
    {"patience": 3, "factor": 0.5},
    {"patience": 2, "factor": 0.5, "cooldown": 3, "threshold": 0.05},
    {"patience": 1, "threshold_mode": "abs", "threshold": 0.01, "min_lr": 0.01},
])
def test_reduce_on_plateau_matches_torch_on_a_scripted_metric(kwargs):
    a, b = sequences(lambda o: schedules.ReduceLROnPlateau(o, **kwargs),
                     lambda o: LRS.ReduceLROnPlateau(o, **kwargs), metrics=PLATEAU_METRIC)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    assert a[-1] < a[0]


def test_bad_schedule_arguments_raise():
    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="StepLR: step_size must be >= 1"):
        schedules.StepLR(opt, 0)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: factor must lie in \(0, 1\)"):
        schedules.ReduceLROnPlateau(opt, factor=2)
