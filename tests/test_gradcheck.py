"""Numerical gradients and the gradient-check report."""

import numpy as np
import pytest

from course_lib.engine import nn
from course_lib.gradcheck import (
    check_layer_gradients,
    check_module_gradients,
    format_report,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
)


def test_numerical_gradient_of_a_quadratic_and_x_is_restored():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    before = x.copy()
    grad = numerical_gradient(lambda v: np.sum(v**2), x)
    np.testing.assert_allclose(grad, 2 * before, atol=1e-8)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_array_uses_the_upstream_gradient():
    rng = np.random.default_rng(1)
    x, dout = rng.standard_normal(5), rng.standard_normal(5)
    np.testing.assert_allclose(numerical_gradient_array(np.sin, x, dout), np.cos(x) * dout,
                               atol=1e-9)


def test_rel_error_values_and_shape_check():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert rel_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match=r"rel_error: shapes differ, \(2,\) against \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


def test_a_wrong_backward_is_reported_with_its_worst_entry():
    rng = np.random.default_rng(2)

    def forward(x, w):
        return x * w, (x, w)

    def wrong_backward(dout, cache):
        x, w = cache
        dx = dout * w
        dw = dout * x
        dw[1, 2] += 0.5  # one wrong entry
        return dx, dw

    reports = check_layer_gradients(forward, wrong_backward,
                                    {"x": rng.standard_normal((3, 4)),
                                     "w": rng.standard_normal((3, 4))}, rng=rng)
    assert reports[0].passed and not reports[1].passed
    assert reports[1].worst_index == (1, 2)
    table = format_report(reports)
    assert "FAILED" in table and "[1, 2]" in table


def test_float32_inputs_are_refused():
    with pytest.raises(ValueError, match="gradient checks need float64"):
        check_layer_gradients(lambda x: (x, None), lambda d, c: d,
                              {"x": np.zeros(3, np.float32)})


def test_module_check_covers_input_and_every_parameter():
    rng = np.random.default_rng(3)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh(), nn.Linear(4, 2, rng=rng))
    reports = check_module_gradients(model, rng.standard_normal((5, 3)), rng=rng)
    assert [r.name for r in reports] == ["x", "0.W", "0.b", "2.W", "2.b"]
    assert all(r.passed for r in reports), format_report(reports)
