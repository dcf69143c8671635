"""Layers as modules: composition, parameter names, modes, default init, gradients, errors."""

import numpy as np
import pytest

from course_lib.engine import functional as F
from course_lib.engine import nn
from course_lib.engine.losses import CrossEntropyLoss, l2_penalty
from course_lib.gradcheck import check_module_gradients, format_report


def small_convnet(rng):
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(12, 5, rng=rng), nn.Tanh(), nn.Linear(5, 3, rng=rng),
    )


def test_sequential_equals_composing_the_functional_pairs():
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(4, 6, rng=rng), nn.ReLU(), nn.Linear(6, 2, rng=rng))
    x = rng.standard_normal((5, 4))
    h, c1 = F.linear_forward(x, model[0].W.data, model[0].b.data)
    a, c2 = F.relu_forward(h)
    out, c3 = F.linear_forward(a, model[2].W.data, model[2].b.data)
    np.testing.assert_array_equal(model(x), out)
    dout = rng.standard_normal(out.shape)
    da, dW2, db2 = F.linear_backward(dout, c3)
    dx, dW1, db1 = F.linear_backward(F.relu_backward(da, c2), c1)
    np.testing.assert_array_equal(model.backward(dout), dx)
    np.testing.assert_array_equal(model[0].W.grad, dW1)
    np.testing.assert_array_equal(model[2].b.grad, db2)


def test_named_parameters_follow_torch_naming():
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
    assert [n for n, _ in model.named_parameters()] == [
        "0.W", "0.b", "1.gamma", "1.beta", "3.W", "3.b"]
    assert len(model.parameters()) == 6


@pytest.mark.parametrize("seed", range(2))
def test_module_gradients_match_numerical_gradients(seed):
    rng = np.random.default_rng(seed)
    model = small_convnet(rng)
    reports = check_module_gradients(model, rng.standard_normal((4, 1, 4, 4)), rng=rng)
    assert all(r.passed for r in reports), format_report(reports)


def test_batchnorm_and_dropout_modules_switch_with_train_and_eval():
    rng = np.random.default_rng(1)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.BatchNorm1d(4), nn.Dropout(0.5, rng=rng))
    x = rng.standard_normal((8, 3))
    model.train()
    model(x)
    assert not np.allclose(model[1].running_mean, 0)
    model.eval()
    assert all(not m.training for m in model.modules())
    frozen = model[1].running_mean.copy()
    out1, out2 = model(x), model(x)
    np.testing.assert_array_equal(out1, out2)  # no dropout noise, fixed statistics
    np.testing.assert_array_equal(model[1].running_mean, frozen)
    expected = (model[0](x) - model[1].running_mean) / np.sqrt(model[1].running_var + 1e-5)
    np.testing.assert_allclose(out1, expected)


def test_default_initialisation_uses_torch_bounds():
    rng = np.random.default_rng(2)
    lin = nn.Linear(400, 300, rng=rng)
    conv = nn.Conv2d(16, 8, 3, rng=rng)
    for param, fan_in in [(lin.W, 400), (lin.b, 400), (conv.W, 16 * 9), (conv.b, 16 * 9)]:
        bound = 1 / np.sqrt(fan_in)
        assert np.abs(param.data).max() <= bound
        if param.data.size > 1000:  # large draws come close to the bound
            assert np.abs(param.data).max() > 0.99 * bound
    assert lin.W.shape == (400, 300) and conv.W.shape == (8, 16, 3, 3)


def test_custom_init_is_called_with_the_weight_shape_and_rng():
    calls = []

    def init(shape, rng=None):
        calls.append(shape)
        return np.full(shape, 0.5)

    lin = nn.Linear(3, 2, init=init)
    assert calls == [(3, 2)] and np.all(lin.W.data == 0.5)


def test_layers_reject_inputs_of_the_wrong_shape_naming_the_layer():
    with pytest.raises(ValueError, match=r"Linear\(64 -> 10\): expected input of shape "
                                         r"\(N, 64\), got \(32, 63\)"):
        nn.Linear(64, 10)(np.zeros((32, 63)))
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*expected input of shape \(N, 3, H, W\)"):
        nn.Conv2d(3, 4, 3)(np.zeros((2, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(5.*got \(2, 4\)"):
        nn.BatchNorm1d(5)(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="Sequential: argument 1 is a int"):
        nn.Sequential(nn.ReLU(), 3)


def test_a_small_network_learns_with_hand_written_sgd():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(2, 16, rng=rng), nn.ReLU(), nn.Linear(16, 2, rng=rng))
    loss_fn = CrossEntropyLoss()
    first, _ = loss_fn(model(X), y)
    for _ in range(300):
        loss, dout = loss_fn(model(X), y)
        model.backward(dout)
        for p in model.parameters():
            p.data -= 0.5 * p.grad
    assert loss < 0.5 * first


def test_l2_penalty_value_and_gradient():
    p = nn.Parameter(np.array([[1.0, -2.0], [3.0, 0.5]]))
    penalty, (grad,) = l2_penalty([p], 0.1)
    assert penalty == pytest.approx(0.05 * (1 + 4 + 9 + 0.25))
    np.testing.assert_allclose(grad, 0.1 * p.data)
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        l2_penalty([p], -1)
