"""Every functional pair: numerical gradient checks (float64, random upstream gradient), parity
with PyTorch (forward and backward), bad input, dtype preservation."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from course_lib.engine import functional as F
from course_lib.gradcheck import check_layer_gradients, format_report

TOL = 1e-7


def away_from_zero(rng, shape, margin=1e-2):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin, x)


def no_ties(rng, shape):
    """Distinct values spaced 0.1 apart: max-pool's argmax is unambiguous under a 1e-5 step."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 10.0


def assert_gradients(forward, backward, rng, **inputs):
    reports = check_layer_gradients(forward, backward, inputs, tol=TOL, rng=rng)
    assert all(r.passed for r in reports), format_report(reports)


def torch_grads(fn, dout, *arrays):
    """Forward with torch autograd, backward with upstream gradient ``dout``."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


# ---- gradient checks ----

@pytest.mark.parametrize("seed", range(3))
def test_linear_backward_matches_numerical_gradient(seed):
    rng = np.random.default_rng(seed)
    assert_gradients(F.linear_forward, F.linear_backward, rng, x=rng.standard_normal((5, 4)),
                     W=rng.standard_normal((4, 3)), b=rng.standard_normal(3))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "leaky_relu", "elu"])
@pytest.mark.parametrize("seed", range(2))
def test_activation_backward_matches_numerical_gradient(name, seed):
    rng = np.random.default_rng(seed)
    assert_gradients(getattr(F, f"{name}_forward"), getattr(F, f"{name}_backward"), rng,
                     x=away_from_zero(rng, (4, 6)))


def test_leaky_relu_and_elu_parameters_enter_the_gradient():
    rng = np.random.default_rng(3)
    x = away_from_zero(rng, (3, 5))
    assert_gradients(lambda x: F.leaky_relu_forward(x, 0.2), F.leaky_relu_backward, rng, x=x)
    assert_gradients(lambda x: F.elu_forward(x, 0.5), F.elu_backward, rng, x=x)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "mse_loss", "bce_with_logits"])
def test_loss_gradient_matches_numerical_gradient(loss):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 4))
    if loss == "softmax_cross_entropy":
        target = rng.integers(0, 4, 6)
    elif loss == "mse_loss":
        target = rng.standard_normal((6, 4))
    else:
        target = rng.random((6, 4))
    from course_lib.gradcheck import numerical_gradient, rel_error

    _, dz = getattr(F, loss)(z, target)
    numerical = numerical_gradient(lambda v: getattr(F, loss)(v, target)[0], z)
    assert rel_error(dz, numerical) < TOL


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_backward_matches_numerical_gradient(seed, training):
    rng = np.random.default_rng(seed)
    d = 4
    mean, var = rng.standard_normal(d), rng.random(d) + 0.5

    def forward(x, gamma, beta):
        return F.batchnorm_forward(x, gamma, beta, mean.copy(), var.copy(), training)

    assert_gradients(forward, F.batchnorm_backward, rng, x=3 * rng.standard_normal((8, d)) + 1,
                     gamma=rng.standard_normal(d), beta=rng.standard_normal(d))


def test_batchnorm2d_backward_matches_numerical_gradient():
    rng = np.random.default_rng(4)

    def forward(x, gamma, beta):
        return F.batchnorm2d_forward(x, gamma, beta, np.zeros(3), np.ones(3), True)

    assert_gradients(forward, F.batchnorm2d_backward, rng, x=rng.standard_normal((2, 3, 4, 5)),
                     gamma=rng.standard_normal(3), beta=rng.standard_normal(3))


def test_dropout_backward_matches_numerical_gradient_for_a_fixed_mask():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((6, 7))

    def forward(x):
        return F.dropout_forward(x, 0.3, True, np.random.default_rng(11))

    assert_gradients(forward, F.dropout_backward, rng, x=x)


@pytest.mark.parametrize("stride,pad", [(1, 0), (1, 1), (2, 1), (3, 2)])
@pytest.mark.parametrize("fast", [True, False])
def test_conv_backward_matches_numerical_gradient(stride, pad, fast):
    rng = np.random.default_rng(stride * 10 + pad)
    fwd, bwd = ((F.conv2d_forward, F.conv2d_backward) if fast
                else (F.conv2d_forward_naive, F.conv2d_backward_naive))
    assert_gradients(lambda x, W, b: fwd(x, W, b, stride, pad), bwd, rng,
                     x=rng.standard_normal((2, 3, 6, 6)), W=rng.standard_normal((4, 3, 3, 3)),
                     b=rng.standard_normal(4))


@pytest.mark.parametrize("k,s", [(2, 2), (3, 2), (2, 1), (3, 3)])
def test_maxpool_backward_matches_numerical_gradient(k, s):
    rng = np.random.default_rng(k * 10 + s)
    assert_gradients(lambda x: F.maxpool2d_forward(x, k, s), F.maxpool2d_backward, rng,
                     x=no_ties(rng, (2, 3, 7, 7)))


# ---- parity with torch ----

def test_linear_matches_torch_forward_and_backward():
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    out, cache = F.linear_forward(x, W, b)
    dout = rng.standard_normal(out.shape)
    t_out, (tdx, tdWT, tdb) = torch_grads(lambda x, w, b: TF.linear(x, w, b), dout, x, W.T, b)
    dx, dW, db = F.linear_backward(dout, cache)
    np.testing.assert_allclose(out, t_out, atol=1e-12)
    np.testing.assert_allclose(dx, tdx, atol=1e-12)
    np.testing.assert_allclose(dW, tdWT.T, atol=1e-12)
    np.testing.assert_allclose(db, tdb, atol=1e-12)


@pytest.mark.parametrize("name,torch_fn", [
    ("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
    ("leaky_relu", lambda x: TF.leaky_relu(x, 0.01)), ("elu", lambda x: TF.elu(x, 1.0)),
])
def test_activation_matches_torch(name, torch_fn):
    rng = np.random.default_rng(1)
    x = away_from_zero(rng, (5, 6)) * 4
    out, cache = getattr(F, f"{name}_forward")(x)
    dout = rng.standard_normal(x.shape)
    t_out, (tdx,) = torch_grads(torch_fn, dout, x)
    np.testing.assert_allclose(out, t_out, atol=1e-12)
    np.testing.assert_allclose(getattr(F, f"{name}_backward")(dout, cache), tdx, atol=1e-12)


def test_softmax_and_log_softmax_match_torch_and_survive_large_logits():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 5)) * 300
    np.testing.assert_allclose(F.softmax(x), torch.softmax(torch.tensor(x), -1).numpy(),
                               atol=1e-12)
    np.testing.assert_allclose(F.log_softmax(x), torch.log_softmax(torch.tensor(x), -1).numpy(),
                               atol=1e-9)
    assert np.all(np.isfinite(F.log_softmax(x)))


def test_losses_match_torch_values_and_gradients():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((6, 4)) * 3
    y = rng.integers(0, 4, 6)
    loss, dz = F.softmax_cross_entropy(z, y)
    zt = torch.tensor(z, requires_grad=True)
    lt = TF.cross_entropy(zt, torch.tensor(y))
    lt.backward()
    assert loss == pytest.approx(lt.item(), abs=1e-12)
    np.testing.assert_allclose(dz, zt.grad.numpy(), atol=1e-12)

    target = rng.standard_normal((6, 4))
    for ours, theirs in [(F.mse_loss, TF.mse_loss),
                         (F.bce_with_logits, TF.binary_cross_entropy_with_logits)]:
        t = rng.random((6, 4)) if ours is F.bce_with_logits else target
        loss, dz = ours(z, t)
        zt = torch.tensor(z, requires_grad=True)
        lt = theirs(zt, torch.tensor(t))
        lt.backward()
        assert loss == pytest.approx(lt.item(), abs=1e-12)
        np.testing.assert_allclose(dz, zt.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("spatial", [False, True])
def test_batchnorm_matches_torch_over_several_steps_and_in_eval(spatial):
    rng = np.random.default_rng(4)
    c = 3
    shape = (5, c, 4, 4) if spatial else (7, c)
    fwd, bwd = ((F.batchnorm2d_forward, F.batchnorm2d_backward) if spatial
                else (F.batchnorm_forward, F.batchnorm_backward))
    bn = (torch.nn.BatchNorm2d if spatial else torch.nn.BatchNorm1d)(c).double()
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    running_mean, running_var = np.zeros(c), np.ones(c)
    for _ in range(4):
        x = 2 * rng.standard_normal(shape) + 1
        dout = rng.standard_normal(shape)
        out, cache = fwd(x, gamma, beta, running_mean, running_var, True)
        dx, dgamma, dbeta = bwd(dout, cache)
        bn.zero_grad()
        xt = torch.tensor(x, requires_grad=True)
        ot = bn(xt)
        ot.backward(torch.tensor(dout))
        np.testing.assert_allclose(out, ot.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(dgamma, bn.weight.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(dbeta, bn.bias.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(running_mean, bn.running_mean.numpy(), atol=1e-12)
        np.testing.assert_allclose(running_var, bn.running_var.numpy(), atol=1e-12)
    bn.eval()
    x = rng.standard_normal(shape)
    out, _ = fwd(x, gamma, beta, running_mean, running_var, False)
    np.testing.assert_allclose(out, bn(torch.tensor(x)).detach().numpy(), atol=1e-10)


def test_dropout_drops_a_fraction_p_scales_the_rest_and_is_identity_in_eval():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((400, 500)) + 3
    out, mask = F.dropout_forward(x, 0.3, True, rng)
    dropped = out == 0
    assert dropped.mean() == pytest.approx(0.3, abs=0.005)
    np.testing.assert_allclose(out[~dropped], x[~dropped] / 0.7)
    dout = rng.standard_normal(x.shape)
    np.testing.assert_allclose(F.dropout_backward(dout, mask), dout * mask)
    assert F.dropout_forward(x, 0.3, False, rng)[0] is x
    assert np.all(F.dropout_forward(x, 1.0, True, rng)[0] == 0)


@pytest.mark.parametrize("stride,pad", [(1, 0), (2, 1), (1, 2)])
def test_conv_matches_torch_forward_and_backward(stride, pad):
    rng = np.random.default_rng(6)
    x, W, b = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((5, 3, 3, 2)), \
        rng.standard_normal(5)
    out, cache = F.conv2d_forward(x, W, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    t_out, (tdx, tdW, tdb) = torch_grads(
        lambda x, w, b: TF.conv2d(x, w, b, stride=stride, padding=pad), dout, x, W, b)
    dx, dW, db = F.conv2d_backward(dout, cache)
    for ours, theirs in [(out, t_out), (dx, tdx), (dW, tdW), (db, tdb)]:
        np.testing.assert_allclose(ours, theirs, atol=1e-10)


@pytest.mark.parametrize("k,s", [(2, 2), (3, 2), (2, 1)])
def test_maxpool_matches_torch_forward_and_backward(k, s):
    rng = np.random.default_rng(7)
    x = no_ties(rng, (2, 3, 8, 7))
    out, cache = F.maxpool2d_forward(x, k, s)
    dout = rng.standard_normal(out.shape)
    t_out, (tdx,) = torch_grads(lambda x: TF.max_pool2d(x, k, s), dout, x)
    np.testing.assert_allclose(out, t_out, atol=0)
    np.testing.assert_allclose(F.maxpool2d_backward(dout, cache), tdx, atol=1e-12)


# ---- bad input ----

def test_bad_inputs_raise_value_errors_that_name_the_function_and_shapes():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"linear_forward: x must have 2 .*\(4, 3, 1\)"):
        F.linear_forward(np.zeros((4, 3, 1)), np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"linear_forward: .*\(4, 3\).*\(5, 2\)"):
        F.linear_forward(x, np.zeros((5, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels must lie in \[0, 3\)"):
        F.softmax_cross_entropy(x, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels y must be integers"):
        F.softmax_cross_entropy(x, np.array([0.5, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels y must have shape"):
        F.softmax_cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"mse_loss: pred has shape \(4, 3\) but target"):
        F.mse_loss(x, np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"conv2d_forward: x has 3 channels .* W expects 2"):
        F.conv2d_forward(np.zeros((1, 3, 5, 5)), np.zeros((4, 2, 3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=r"conv2d_forward_naive: the 7x7 kernel is larger"):
        F.conv2d_forward_naive(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 7, 7)), np.zeros(1))
    with pytest.raises(ValueError, match=r"maxpool2d_forward: a 4x4 window .*\(1, 1, 3, 3\)"):
        F.maxpool2d_forward(np.zeros((1, 1, 3, 3)), 4, 4)
    with pytest.raises(ValueError, match=r"batchnorm_forward: gamma has shape \(2,\), expected"):
        F.batchnorm_forward(x, np.ones(2), np.zeros(3), np.zeros(3), np.ones(3), True)
    with pytest.raises(ValueError, match=r"dropout_forward: p must lie in \[0, 1\]"):
        F.dropout_forward(x, 1.5, True)


# ---- dtype ----

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_backward_preserve_dtype(dtype):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 6, 6)).astype(dtype)
    W = rng.standard_normal((4, 3, 3, 3)).astype(dtype)
    b = np.zeros(4, dtype)
    ops = [
        (lambda: F.conv2d_forward(x, W, b, 1, 1), F.conv2d_backward),
        (lambda: F.maxpool2d_forward(x), F.maxpool2d_backward),
        (lambda: F.batchnorm2d_forward(x, np.ones(3, dtype), np.zeros(3, dtype),
                                       np.zeros(3, dtype), np.ones(3, dtype), True),
         F.batchnorm2d_backward),
        (lambda: F.dropout_forward(x, 0.5, True, rng), F.dropout_backward),
    ] + [(lambda n=n: getattr(F, f"{n}_forward")(x), getattr(F, f"{n}_backward"))
         for n in ("relu", "sigmoid", "tanh", "leaky_relu", "elu")]
    for forward, backward in ops:
        out, cache = forward()
        grads = backward(np.ones_like(out), cache)
        assert out.dtype == dtype
        for g in grads if isinstance(grads, tuple) else (grads,):
            assert g.dtype == dtype
    weights = np.ones((108, 4), dtype)
    out, cache = F.linear_forward(x.reshape(2, -1), weights, b)
    assert out.dtype == dtype and all(g.dtype == dtype for g in F.linear_backward(out, cache))
