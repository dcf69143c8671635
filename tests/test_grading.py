"""course_lib.grading: what passes, what fails, and the exact messages students read."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from course_lib.grading import (
    Mistake,
    Score,
    check_close,
    check_equal,
    check_gradient,
    check_loss_gradient,
    check_shape,
    check_true,
    in_grading_kernel,
    recognise,
)


def fails_with(fn, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


# --- check_close -----------------------------------------------------------------------------


def test_check_close_accepts_equal_values_and_round_off():
    x = np.linspace(-3.0, 3.0, 12).reshape(3, 4)
    check_close(x, x.copy(), name="x")
    check_close(x * (1 + 1e-12), x, name="x")
    check_close(0.1 + 0.2, 0.3, name="sum")
    check_close([1.0, 2.0], np.array([1.0, 2.0]), name="list")
    check_close(torch.tensor([1.0, 2.0], dtype=torch.float64), np.array([1.0, 2.0]), name="t")


def test_check_close_tiny_absolute_difference_near_zero_passes():
    check_close(np.array([1e-12, 1.0]), np.array([0.0, 1.0]), name="y")


def test_check_close_none_says_return_is_missing():
    assert fails_with(check_close, None, np.zeros(3), name="relu_forward") == (
        "relu_forward: got None; did you forget to `return` the result?"
    )


def test_check_close_wrong_type_names_the_type():
    assert fails_with(check_close, "0.5", 0.5, name="p") == (
        "p: expected a NumPy array or a number, got str"
    )


def test_check_close_shape_message():
    assert fails_with(check_close, np.zeros((3, 4)), np.zeros((4, 3)), name="W") == (
        "W: shape (3, 4) but expected (4, 3)"
    )
    assert fails_with(check_close, np.array([1.0]), 1.0, name="loss") == (
        "loss: shape (1,) but expected () (a scalar)"
    )


def test_check_close_nan_message_gives_first_index_and_count():
    got = np.array([[0.0, np.nan], [1.0, np.nan]])
    assert fails_with(check_close, got, np.ones((2, 2)), name="out") == (
        "out is NaN at [0, 1] where 1.0 was expected (2 of 4 entries are NaN)"
    )


def test_check_close_inf_message():
    got = np.array([1.0, -np.inf])
    assert fails_with(check_close, got, np.array([1.0, 2.0]), name="lse") == (
        "lse is -inf at [1] where 2.0 was expected (1 of 2 entries are inf)"
    )


def test_check_close_nan_where_nan_expected_passes_only_with_nan_ok():
    check_close(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), name="z", nan_ok=True)


def test_check_close_nan_fails_even_where_expected_is_nan_by_default():
    # an all-NaN answer compared with values computed from the same NaN weights passed before
    message = fails_with(check_close, np.full(3, np.nan), np.full(3, np.nan), name="w")
    assert message == "w is NaN at [0] where nan was expected (3 of 3 entries are NaN)"


def test_check_close_finite_where_nan_expected_fails():
    message = fails_with(check_close, np.array([0.0, 1.0]), np.array([np.nan, 1.0]), name="z")
    assert message.startswith("z differs at [0]: got 0.0, expected nan")


def test_check_close_worst_entry_message():
    expected = np.full((3, 2), 0.731)
    got = expected.copy()
    got[1, 1] = 0.0
    assert fails_with(check_close, got, expected, name="sigmoid") == (
        "sigmoid differs at [1, 1]: got 0.0, expected 0.731 "
        "(max relative error 1.0, allowed 1e-07; 1 of 6 entries differ)"
    )


def test_check_close_reports_the_entry_with_the_largest_relative_error():
    expected = np.array([1.0, 2.0, 3.0, 4.0])
    got = np.array([1.1, 2.0, 3.0, 2.0])  # rel. errors 0.0476 and 0.333
    message = fails_with(check_close, got, expected, name="v")
    assert message == (
        "v differs at [3]: got 2.0, expected 4.0 "
        "(max relative error 0.333, allowed 1e-07; 2 of 4 entries differ)"
    )


def test_check_close_scalar_message_and_custom_tolerance():
    assert fails_with(check_close, 1.1, 1.0, name="loss", rtol=1e-3) == (
        "loss differs: got 1.1, expected 1.0 (relative error 0.0476, allowed 0.001)"
    )
    check_close(1.0001, 1.0, name="loss", rtol=1e-3)


# --- check_shape, check_true, check_equal ----------------------------------------------------


def test_check_shape():
    check_shape(np.zeros((2, 5)), (2, 5), name="scores")
    assert fails_with(check_shape, np.zeros((5, 2)), (2, 5), name="scores") == (
        "scores: shape (5, 2) but expected (2, 5)"
    )
    assert fails_with(check_shape, None, (2, 5), name="scores").startswith("scores: got None")


def test_check_true():
    check_true(True, "never shown")
    check_true(np.array([True, True]), "never shown")
    assert fails_with(check_true, np.array([True, False]), "probs: rows must sum to 1") == (
        "probs: rows must sum to 1"
    )


def test_check_equal():
    check_equal(3, 3, name="k")
    check_equal(np.array([1, 0, 2]), [1, 0, 2], name="labels")
    assert fails_with(check_equal, 3, 4, name="k") == "k: got 3, expected 4"
    assert fails_with(check_equal, "relu", "tanh", name="act") == "act: got 'relu', expected 'tanh'"
    assert fails_with(check_equal, np.array([1, 0, 1, 2]), np.array([1, 0, 0, 2]),
                      name="labels") == (
        "labels differs at [2]: got 1, expected 0 (1 of 4 entries differ)"
    )
    assert fails_with(check_equal, np.zeros(3, int), np.zeros(4, int), name="labels") == (
        "labels: shape (3,) but expected (4,)"
    )


# --- check_gradient --------------------------------------------------------------------------


def affine_forward(x, W, b):
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def affine_backward_mean_bias(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)  # subtly wrong: mean instead of sum


def affine_backward_transposed(dout, cache):
    x, W = cache
    return dout @ W.T, (dout.T @ x), dout.sum(axis=0)  # W is square here: right shape, wrong


def square_inputs(rng):
    return [rng.standard_normal((5, 4)), rng.standard_normal((4, 4)), rng.standard_normal(4)]


def test_check_gradient_passes_a_correct_backward():
    rng = np.random.default_rng(0)
    check_gradient(affine_forward, affine_backward, inputs=square_inputs(rng), name="affine",
                   rng=rng)


def test_check_gradient_catches_a_mean_instead_of_a_sum():
    rng = np.random.default_rng(1)
    message = fails_with(check_gradient, affine_forward, affine_backward_mean_bias,
                         inputs=square_inputs(rng), name="affine_backward", rng=rng)
    assert re.fullmatch(
        r"affine_backward: db differs from the numerical gradient at \[\d\]: got \S+, expected "
        r"\S+ \(max relative error 0\.[0-9]+, allowed 1e-07; 4 of 4 entries differ\)", message
    ), message


def test_check_gradient_catches_a_transposed_weight_gradient():
    rng = np.random.default_rng(2)
    message = fails_with(check_gradient, affine_forward, affine_backward_transposed,
                         inputs=square_inputs(rng), name="affine_backward", rng=rng)
    assert message.startswith("affine_backward: dW differs from the numerical gradient at [")


def test_check_gradient_uses_a_random_upstream_gradient():
    # d/dx sum(x**2) with the upstream gradient ignored is right only for dout = 1.
    def square(x):
        return x**2, x

    def square_backward_ignoring_dout(dout, x):
        return 2 * x

    message = fails_with(check_gradient, square, square_backward_ignoring_dout, shape=(3, 2),
                         name="square_backward", rng=np.random.default_rng(3))
    assert message.startswith("square_backward: dx differs from the numerical gradient at [")


def test_check_gradient_forward_returning_only_out_gets_the_input_as_cache():
    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    def sigmoid_backward(dout, x):
        s = sigmoid(x)
        return dout * s * (1 - s)

    check_gradient(sigmoid, sigmoid_backward, shape=(4, 3), name="sigmoid")


def test_check_gradient_gradient_shape_message():
    def forward(x):
        return x.sum(axis=1), x

    def backward(dout, x):
        return dout  # shape (3,), the input is (3, 2)

    assert fails_with(check_gradient, forward, backward, shape=(3, 2), name="rowsum") == (
        "rowsum: dx has shape (3,) but expected (3, 2), the shape of x"
    )


def test_check_gradient_missing_gradient_and_wrt():
    rng = np.random.default_rng(4)

    def only_dx(dout, cache):
        return affine_backward(dout, cache)[0]

    check_gradient(affine_forward, only_dx, inputs=square_inputs(rng), name="affine", rng=rng)
    assert fails_with(check_gradient, affine_forward, only_dx, inputs=square_inputs(rng),
                      name="affine", wrt=[0, 1]) == (
        "affine: backward returned 1 gradient(s); the gradient of W (input 1) is missing"
    )
    check_gradient(affine_forward, affine_backward_mean_bias, inputs=square_inputs(rng),
                   name="affine", wrt=[0, 1])  # db (wrong) is not checked


def test_check_gradient_needs_inputs_or_shape():
    with pytest.raises(ValueError, match="exactly one of"):
        check_gradient(affine_forward, affine_backward)


def test_check_gradient_does_not_change_the_callers_inputs():
    rng = np.random.default_rng(5)
    inputs = square_inputs(rng)
    before = [x.copy() for x in inputs]
    check_gradient(affine_forward, affine_backward, inputs=inputs, name="affine")
    for x, x0 in zip(inputs, before, strict=True):
        np.testing.assert_array_equal(x, x0)


# --- check_loss_gradient ---------------------------------------------------------------------


def mse_to_one(x):
    return np.mean((x - 1.0) ** 2), 2.0 * (x - 1.0) / x.size


def test_check_loss_gradient_passes_a_correct_loss():
    check_loss_gradient(mse_to_one, np.random.default_rng(6).standard_normal((4, 3)), name="mse")


def test_check_loss_gradient_catches_a_missing_factor():
    def mse_half_gradient(x):
        return np.mean((x - 1.0) ** 2), (x - 1.0) / x.size  # missing the factor 2

    message = fails_with(check_loss_gradient, mse_half_gradient,
                         np.random.default_rng(7).standard_normal((4, 3)), name="mse")
    assert re.fullmatch(
        r"mse: dx differs from the numerical gradient at \[\d, \d\]: got \S+, expected \S+ "
        r"\(max relative error 0\.333, allowed 1e-07; 12 of 12 entries differ\)", message
    ), message


def test_check_loss_gradient_messages_for_bad_loss_and_shape():
    x = np.ones(3)
    assert fails_with(check_loss_gradient, lambda x: (np.nan, x), x, name="ce") == (
        "ce: the loss is nan"
    )
    assert fails_with(check_loss_gradient, lambda x: (x.sum(), x[:2]), x, name="ce") == (
        "ce: dx has shape (2,) but expected (3,), the shape of x"
    )


def test_hidden_rng_is_reproducible_and_depends_on_student_and_salt():
    from course_lib.grading import grading_context, hidden_rng

    with grading_context("course/lab/test/alice"):
        a1, a2 = hidden_rng().random(3), hidden_rng().random(3)
        salted = hidden_rng("second").random(3)
    with grading_context("course/lab/test/bob"):
        b = hidden_rng().random(3)
    np.testing.assert_array_equal(a1, a2)
    assert not np.allclose(a1, b)
    assert not np.allclose(a1, salted)


def test_score_in_the_kernel_raises_listing_each_failed_requirement():
    from course_lib.grading import Score

    score = Score(3)
    with score.part("output"):
        check_close(np.array([1.0, 2.0]), np.array([1.0, 2.0]), name="out")
    with score.part("running variance (unbiased)", weight=2):
        check_close(np.array([0.5]), np.array([1.0]), name="running_var")
    assert score.earned() == 1.0
    message = fails_with(score.result)
    assert message.splitlines()[0] == "1 of 2 requirements failed (1 of 3 points):"
    assert message.splitlines()[1].startswith("- running variance (unbiased): running_var")


def test_score_when_trusted_returns_partial_points_and_names_exceptions(capsys):
    from course_lib.grading import Score, grading_context

    def student_function():
        return ()[1]

    with grading_context("c/l/t/s", trusted=True):
        score = Score(2)
        with score.part("p = 0.5"):
            check_true(True, "never")
        with score.part("p = 1 handled"):
            student_function()
        assert score.result() == 1.0
    printed = capsys.readouterr().out
    assert "[ok] p = 0.5" in printed
    assert "[failed] p = 1 handled: raised IndexError: tuple index out of range" in printed


# --- the mistake catalogue ---------------------------------------------------------------------


def test_a_catalogued_mistake_is_named_with_its_words_and_key():
    expected = np.array([[0.5, -1.0, 2.0], [0.25, 3.0, -0.75]])
    mistakes = [
        Mistake("transposed", "your dW is the transpose of the expected one",
                when=lambda a, e: a.shape == e.T.shape and np.allclose(a, e.T)),
        Mistake("batch-sum", "your dW is N = 4 times the expected one: divide by the batch size",
                gives=lambda e: 4 * e),
    ]
    with pytest.raises(AssertionError) as info:
        check_close(4 * expected, expected, name="dW", mistakes=mistakes)
    message = str(info.value)
    assert message.startswith("dW: your dW is N = 4 times the expected one")
    assert "[common mistake: batch-sum]" in message
    assert "got 2.0, expected 0.5" in message  # the usual details follow
    with pytest.raises(AssertionError, match=r"\[common mistake: transposed\]"):
        check_close(expected.T, expected, name="dW", mistakes=mistakes)


def test_an_answer_no_mistake_explains_gets_the_plain_message():
    expected = np.array([1.0, 2.0, 3.0])
    mistakes = [Mistake("double", "twice too large", gives=lambda e: 2 * e)]
    with pytest.raises(AssertionError) as info:
        check_close(expected + 0.5, expected, name="y", mistakes=mistakes)
    assert "common mistake" not in str(info.value)
    assert str(info.value).startswith("y differs at [0]")


def test_a_right_answer_passes_even_when_a_mistake_would_match_it():
    expected = np.zeros(3)  # every scaling of zero is zero: the catalogue must not fire
    check_close(expected.copy(), expected, name="y",
                mistakes=[Mistake("double", "twice", gives=lambda e: 2 * e)])


def test_a_mistake_whose_value_cannot_be_computed_is_skipped():
    expected = np.ones((2, 3))
    mistakes = [Mistake("broken", "never", gives=lambda e: e @ e),  # shapes do not multiply
                Mistake("negated", "wrong sign", gives=lambda e: -e)]
    with pytest.raises(AssertionError, match=r"\[common mistake: negated\]"):
        check_close(-expected, expected, name="g", mistakes=mistakes)


def test_a_mistake_needs_exactly_one_way_to_be_recognised():
    with pytest.raises(ValueError, match="exactly one"):
        Mistake("k", "says")
    with pytest.raises(ValueError, match="exactly one"):
        Mistake("k", "says", gives=1.0, when=lambda a, e: True)


def test_a_mistake_with_a_fixed_value_and_a_shape_mismatch_is_named():
    mistakes = [Mistake("no-keepdims", "keep the reduced axis (keepdims=True)",
                        gives=np.array([1.0, 2.0]))]
    with pytest.raises(AssertionError, match=r"keepdims=True\) \[common mistake: no-keepdims\]"):
        check_close(np.array([1.0, 2.0]), np.array([[1.0], [2.0]]), name="m", mistakes=mistakes)


def test_check_gradient_names_a_mistake_against_the_numerical_gradient():
    def forward(x):
        return x**2, x

    def backward_forgot_factor(dout, x):
        return dout * x  # d(x^2)/dx is 2x: the factor 2 is missing

    mistakes = [Mistake("half", "your gradient is half the expected one: d(x^2)/dx = 2x",
                        gives=lambda e: e / 2)]
    with pytest.raises(AssertionError, match=r"\[common mistake: half\]"):
        check_gradient(forward, backward_forgot_factor, shape=(3, 4), name="square",
                       rng=np.random.default_rng(0), mistakes=mistakes)


def test_check_equal_names_a_mistake():
    mistakes = [Mistake("off-by-one", "count the positions where the kernel fits: add 1",
                        gives=lambda e: e - 1)]
    with pytest.raises(AssertionError, match=r"\[common mistake: off-by-one\]"):
        check_equal(4, 5, name="output size", mistakes=mistakes)


def test_recognise_returns_the_first_matching_mistake():
    e = np.array([1.0, -2.0])
    first = Mistake("neg", "negated", gives=lambda e: -e)
    second = Mistake("neg-too", "also negated", when=lambda a, e: np.allclose(a, -e))
    assert recognise(-e, e, [first, second]) is first
    assert recognise(e + 1, e, [first, second]) is None


def test_values_equal_at_six_digits_are_printed_with_enough_digits_to_differ():
    with pytest.raises(AssertionError) as info:
        check_close(0.32103512, 0.32103498, name="loss", rtol=1e-9)
    assert "got 0.32103512, expected 0.32103498" in str(info.value)
    with pytest.raises(AssertionError) as info:
        check_equal(1.0000000001, 1.0, name="x")
    assert "got 1.0000000001, expected 1.0" in str(info.value)


def test_an_exception_in_a_part_is_reported_with_the_inputs_it_got():
    score = Score(2)
    with score.part("output", on="x of shape (1, 3), p = 0"):
        ()[0]
    with score.part("gradient"):
        pass
    assert score.failures() == [
        ("output", "raised IndexError: tuple index out of range on x of shape (1, 3), p = 0")]
    assert score.earned() == 1.0


def test_demos_may_be_short_while_graded_or_validated_and_never_for_a_student(monkeypatch):
    monkeypatch.delenv("COURSE_LIB_GRADING", raising=False)
    monkeypatch.delenv("NBGRADER_VALIDATING", raising=False)
    assert in_grading_kernel() is False  # a student's own kernel: the full demos
    monkeypatch.setenv("NBGRADER_VALIDATING", "1")  # nbgrader's Validator, and validate's
    assert in_grading_kernel() is True
    monkeypatch.setenv("NBGRADER_VALIDATING", "0")
    assert in_grading_kernel() is False
    monkeypatch.setenv("COURSE_LIB_GRADING", "1")  # the grader's sandboxed kernels
    assert in_grading_kernel() is True
