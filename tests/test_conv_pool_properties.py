"""Property tests over shapes, strides and paddings: fast conv == naive conv == torch,
pooling == torch, linear == torch."""

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.engine import functional as F

SETTINGS = settings(max_examples=30, deadline=None)


@st.composite
def conv_case(draw):
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, pad = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, kh - 2 * pad), 9))
    w = draw(st.integers(max(1, kw - 2 * pad), 9))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, c, h, w)), rng.standard_normal((f, c, kh, kw)),
            rng.standard_normal(f), stride, pad, rng)


@SETTINGS
@given(conv_case())
def test_fast_conv_equals_naive_and_torch_forward_and_backward(case):
    x, W, b, stride, pad, rng = case
    out, cache = F.conv2d_forward(x, W, b, stride, pad)
    out_naive, cache_naive = F.conv2d_forward_naive(x, W, b, stride, pad)
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    out_torch = TF.conv2d(xt, Wt, bt, stride=stride, padding=pad)
    np.testing.assert_allclose(out, out_naive, atol=1e-10)
    np.testing.assert_allclose(out, out_torch.detach().numpy(), atol=1e-10)
    dout = rng.standard_normal(out.shape)
    out_torch.backward(torch.tensor(dout))
    fast = F.conv2d_backward(dout, cache)
    naive = F.conv2d_backward_naive(dout, cache_naive)
    for g_fast, g_naive, g_torch in zip(fast, naive, (xt.grad, Wt.grad, bt.grad), strict=True):
        np.testing.assert_allclose(g_fast, g_naive, atol=1e-10)
        np.testing.assert_allclose(g_fast, g_torch.numpy(), atol=1e-10)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(1, 3),
       st.integers(0, 4), st.integers(0, 4), st.integers(0, 2**32 - 1))
def test_maxpool_equals_torch_forward_and_backward(n, c, k, stride, extra_h, extra_w, seed):
    rng = np.random.default_rng(seed)
    shape = (n, c, k + extra_h, k + extra_w)
    x = rng.permutation(int(np.prod(shape))).reshape(shape) / 10.0
    out, cache = F.maxpool2d_forward(x, k, stride)
    xt = torch.tensor(x, requires_grad=True)
    out_torch = TF.max_pool2d(xt, k, stride)
    np.testing.assert_array_equal(out, out_torch.detach().numpy())
    dout = rng.standard_normal(out.shape)
    out_torch.backward(torch.tensor(dout))
    np.testing.assert_allclose(F.maxpool2d_backward(dout, cache), xt.grad.numpy(), atol=1e-12)


@SETTINGS
@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_linear_equals_torch(n, d, m, seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((n, d)), rng.standard_normal((d, m)), rng.standard_normal(m)
    out, cache = F.linear_forward(x, W, b)
    xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W.T, b))
    out_torch = TF.linear(xt, Wt, bt)
    dout = rng.standard_normal(out.shape)
    out_torch.backward(torch.tensor(dout))
    dx, dW, db = F.linear_backward(dout, cache)
    np.testing.assert_allclose(out, out_torch.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(dW, Wt.grad.numpy().T, atol=1e-12)
    np.testing.assert_allclose(db, bt.grad.numpy(), atol=1e-12)
