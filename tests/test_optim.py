"""Optimizers follow torch.optim step by step, with torch's state names."""

import numpy as np
import pytest
import torch

from course_lib.engine import optim
from course_lib.engine.nn import Parameter

CASES = [
    ("SGD", torch.optim.SGD, {"lr": 0.1}),
    ("SGD", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    ("SGD", torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", torch.optim.SGD, {"lr": 0.1, "momentum": 0.5, "dampening": 0.3}),
    ("AdaGrad", torch.optim.Adagrad, {"lr": 0.1}),
    ("AdaGrad", torch.optim.Adagrad, {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                                      "initial_accumulator_value": 0.2}),
    ("RMSProp", torch.optim.RMSprop, {"lr": 0.01}),
    ("RMSProp", torch.optim.RMSprop, {"lr": 0.01, "momentum": 0.9, "centered": True,
                                      "weight_decay": 0.1}),
    ("Adam", torch.optim.Adam, {"lr": 0.01}),
    ("Adam", torch.optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1,
                                "amsgrad": True}),
    ("AdamW", torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name,torch_cls,kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_trajectory_and_state_match_torch_for_30_steps(name, torch_cls, kwargs):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    A = A @ A.T / 4 + np.eye(4)
    x0 = rng.standard_normal((4, 3))
    p = Parameter(x0.copy())
    ours = getattr(optim, name)([p], **kwargs)
    t = torch.tensor(x0.copy(), requires_grad=True)
    theirs = torch_cls([t], **kwargs)
    for _ in range(30):
        grad = A @ p.data + 0.1 * rng.standard_normal(p.shape)  # depends on the parameters
        p.grad = grad.copy()
        t.grad = torch.tensor(grad)
        ours.step()
        theirs.step()
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=0, atol=1e-12)
    for key, value in theirs.state[t].items():
        ours_value = ours.state[p][key]
        np.testing.assert_allclose(np.asarray(ours_value), value.numpy(), atol=1e-12,
                                   err_msg=f"state {key}")


def test_parameters_without_gradients_are_skipped_and_updates_are_in_place():
    a, b = Parameter(np.ones(3)), Parameter(np.ones(2))
    data = a.data
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.ones(3)
    opt.step()
    assert a.data is data and np.all(a.data < 1)
    np.testing.assert_array_equal(b.data, np.ones(2))
    assert b not in opt.state
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize("make,match", [
    (lambda p: optim.SGD(p, lr=-1), "SGD: lr must be >= 0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "SGD: nesterov=True needs momentum > 0"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), r"Adam: betas\[0\] must lie in \[0, 1\)"),
    (lambda p: optim.RMSProp(p, alpha=1.5), r"RMSProp: alpha must lie in \[0, 1\)"),
    (lambda p: optim.SGD([], lr=0.1), "SGD: got an empty parameter list"),
    (lambda p: optim.SGD([np.zeros(2)], lr=0.1), "SGD: parameter 0 is a ndarray"),
])
def test_bad_hyperparameters_raise_value_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make([Parameter(np.zeros(2))])
