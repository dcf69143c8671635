"""Initializers: shapes, scales (against torch.nn.init's formulas), orthogonality."""

import math

import numpy as np
import pytest
import torch

from course_lib.engine import init


def test_fans_read_our_linear_and_conv_layouts():
    assert init.fans((64, 10)) == (64, 10)  # Linear (in, out)
    assert init.fans((16, 8, 3, 3)) == (72, 144)  # conv (F, C, KH, KW)
    with pytest.raises(ValueError, match=r"xavier_normal: .*at least 2 dimensions, got \(5,\)"):
        init.xavier_normal((5,))


@pytest.mark.parametrize("fn,expected_std", [
    (init.xavier_normal, math.sqrt(2 / (300 + 200))),
    (init.xavier_uniform, math.sqrt(2 / (300 + 200))),
    (init.kaiming_normal, math.sqrt(2 / 300)),
    (init.kaiming_uniform, math.sqrt(2 / 300)),
])
def test_scale_of_large_draws(fn, expected_std):
    w = fn((300, 200), rng=np.random.default_rng(0))
    n = w.size
    assert w.shape == (300, 200)
    assert abs(w.mean()) < 4 * expected_std / math.sqrt(n)
    assert w.std() == pytest.approx(expected_std, rel=4 * math.sqrt(2 / n) * 2)


def test_uniform_initialisers_respect_their_bounds_like_torch():
    rng = np.random.default_rng(1)
    w = init.xavier_uniform((300, 200), rng=rng)
    bound = math.sqrt(6 / 500)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    t = torch.empty(200, 300)  # torch's Linear weight is (out, in): the transpose of ours
    torch.nn.init.kaiming_uniform_(t, nonlinearity="relu")
    ours = init.kaiming_uniform((300, 200), rng=rng)
    assert np.abs(ours).max() == pytest.approx(t.abs().max().item(), rel=0.01)


def test_conv_shapes_use_receptive_field_fans_like_torch():
    t = torch.empty(32, 16, 3, 3)
    torch.nn.init.kaiming_normal_(t)
    ours = init.kaiming_normal((32, 16, 3, 3), rng=np.random.default_rng(2))
    assert ours.std() == pytest.approx(t.std().item(), rel=0.05)
    assert ours.std() == pytest.approx(math.sqrt(2 / (16 * 9)), rel=0.05)


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (8, 4, 3, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    w = init.orthogonal(shape, rng=np.random.default_rng(3), gain=2.0).reshape(shape[0], -1)
    small = min(w.shape)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-10)


def test_seeded_draws_are_reproducible_and_dtype_is_honoured():
    a = init.kaiming_normal((5, 4), rng=np.random.default_rng(7), dtype=np.float32)
    b = init.kaiming_normal((5, 4), rng=np.random.default_rng(7), dtype=np.float32)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32
    assert np.all(init.zeros((2, 3)) == 0) and np.all(init.constant((2, 3), value=0.3) == 0.3)


def test_gains_match_torch():
    for name, param in [("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("sigmoid", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
