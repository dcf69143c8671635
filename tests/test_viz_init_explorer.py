"""The initialisation explorer: per-layer statistics (pure logic) and the widget, from Python."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.engine import functional as F
from course_lib.engine import init
from course_lib.viz.init_explorer import (
    ACTIVATIONS,
    INITIALIZERS,
    InitExplorer,
    propagate,
)

# Smaller than the lab's 500 x 1000 so that the suite stays fast; the statistics are the same.
WIDTH, SAMPLES = 300, 300


def test_shapes_and_the_last_gradient_is_the_upstream_one() -> None:
    stats = propagate(depth=4, width=20, activation="relu", init="he_normal", n_samples=7)
    assert stats.depth == 4 and len(stats.gradients) == 4
    assert all(a.shape == (7, 20) for a in stats.activations + stats.gradients)
    for values in (stats.act_mean, stats.act_std, stats.act_rms, stats.grad_std,
                   stats.weight_grad_std):
        assert values.shape == (4,)
    rng = np.random.default_rng(0)
    rng.standard_normal((7, 20))
    for _ in range(4):
        init.kaiming_normal((20, 20), rng)
    np.testing.assert_array_equal(stats.gradients[-1], rng.standard_normal((7, 20)))


@pytest.mark.parametrize("activation", ["tanh", "relu", "elu"])
def test_propagation_equals_a_manual_loop_with_the_engine(activation: str) -> None:
    depth, width, n = 5, 30, 11
    stats = propagate(depth, width, activation, "xavier_uniform", n_samples=n, seed=3)
    rng = np.random.default_rng(3)
    forward, backward = ACTIVATIONS[activation]
    h = rng.standard_normal((n, width))
    layers = []
    for _ in range(depth):
        W = init.xavier_uniform((width, width), rng)
        z, _ = F.linear_forward(h, W, np.zeros(width))
        out, cache = forward(z)
        layers.append((h, W, cache))
        h = out
    np.testing.assert_allclose(h, stats.activations[-1], rtol=1e-12)
    grad = rng.standard_normal((n, width))
    for l in range(depth - 1, -1, -1):
        np.testing.assert_allclose(stats.gradients[l], grad, rtol=1e-12, atol=1e-300)
        x, W, cache = layers[l]
        dx, dW, _ = F.linear_backward(backward(grad, cache), (x, W))
        assert stats.weight_grad_std[l] == pytest.approx(dW.std(), rel=1e-12)
        grad = dx


def test_small_init_collapses_tanh_activations_and_gradients() -> None:
    stats = propagate(10, WIDTH, "tanh", "small", n_samples=SAMPLES)
    # tanh is linear near 0, so each layer multiplies the std by sqrt(width) * 0.01
    factor = np.sqrt(WIDTH) * 0.01
    ratios = stats.act_std[1:] / stats.act_std[:-1]
    np.testing.assert_allclose(ratios, factor, rtol=0.05)
    assert stats.act_std[-1] < 1e-5
    assert stats.grad_std[0] < 1e-5 * stats.grad_std[-1]  # vanishing gradients too


def test_xavier_keeps_tanh_std_in_a_band_and_shrinking_slowly() -> None:
    stats = propagate(10, WIDTH, "tanh", "xavier_normal", n_samples=SAMPLES)
    std = stats.act_std
    assert 0.55 < std[0] < 0.7  # tanh of N(0, 1)-ish pre-activations
    assert np.all((std > 0.18) & (std < 0.7)), std
    assert np.all(np.diff(std) < 0)  # shrinks, but ...
    assert np.all(std[1:] / std[:-1] > 0.7)  # ... slowly
    assert np.all(np.abs(stats.act_mean) < 0.02)  # zero-centred
    assert np.all((stats.grad_std > 0.3) & (stats.grad_std < 1.1))


def test_he_keeps_relu_second_moment_and_xavier_halves_it() -> None:
    he = propagate(10, WIDTH, "relu", "he_normal", n_samples=SAMPLES)
    mean_square = he.act_rms**2
    assert np.all((mean_square > 0.6) & (mean_square < 1.5)), mean_square
    assert np.all((he.grad_std > 0.6) & (he.grad_std < 1.5))
    xavier = propagate(10, WIDTH, "relu", "xavier_normal", n_samples=SAMPLES)
    halving = xavier.act_rms[1:] ** 2 / xavier.act_rms[:-1] ** 2
    assert np.all((halving > 0.35) & (halving < 0.65)), halving
    assert xavier.act_std[-1] < 0.1 * he.act_std[-1]


def test_zero_init_gives_zero_activations_and_no_gradient_below_the_top() -> None:
    stats = propagate(3, 20, "tanh", "zeros", n_samples=10)
    assert np.all(stats.act_std == 0) and np.all(stats.grad_std[:-1] == 0)
    assert np.all(stats.weight_grad_std == 0)


def test_large_init_saturates_tanh() -> None:
    stats = propagate(5, WIDTH, "tanh", "large", n_samples=100)
    saturated = np.mean(np.abs(stats.activations[-1]) > 0.99)
    assert saturated > 0.8


def test_same_seed_same_inputs_and_a_callable_initialiser() -> None:
    a = propagate(3, 16, "relu", "he_normal", n_samples=5, seed=1)
    b = propagate(3, 16, "relu", lambda shape, rng: init.kaiming_normal(shape, rng),
                  n_samples=5, seed=1)
    for x, y in zip(a.activations, b.activations, strict=True):
        np.testing.assert_array_equal(x, y)
    table = a.table().splitlines()
    assert len(table) == 4 and table[0].split()[:3] == ["layer", "act", "mean"]


def test_bad_arguments_raise_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown activation"):
        propagate(activation="swish")
    with pytest.raises(ValueError, match="unknown initialiser"):
        propagate(init="lecun")
    with pytest.raises(ValueError, match="depth must be a positive integer"):
        propagate(depth=0)
    with pytest.raises(ValueError, match="unknown initialiser"):
        InitExplorer(init="lecun")


# -- the widget, driven from Python ------------------------------------------------------


@pytest.fixture(scope="module")
def explorer() -> InitExplorer:
    return InitExplorer(depth=6, width=200, n_samples=200)


def _expected(ex: InitExplorer):
    return propagate(ex.depth_slider.value, ex.width_slider.value, ex.activation_dropdown.value,
                     ex.init_dropdown.value, ex.samples_slider.value, seed=ex.seed)


def test_widget_starts_with_its_settings_and_a_png(explorer) -> None:
    assert explorer.stats.settings["init"] == "xavier_normal"
    assert explorer.stats.depth == 6
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(explorer.stats.act_std, _expected(explorer).act_std)
    assert "act std" in explorer.table_output.value


def test_changing_the_initialiser_recomputes_and_redraws(explorer) -> None:
    png = explorer.image.value
    xavier_last = explorer.stats.act_std[-1]
    explorer.init_dropdown.value = "small"
    assert explorer.image.value != png
    assert explorer.stats.act_std[-1] < 1e-3 * xavier_last
    np.testing.assert_array_equal(explorer.stats.act_std, _expected(explorer).act_std)
    explorer.init_dropdown.value = "xavier_normal"


def test_depth_width_activation_and_samples_reach_the_computation(explorer) -> None:
    explorer.depth_slider.value = 12
    assert explorer.stats.depth == 12
    explorer.width_slider.value = 100
    assert explorer.stats.activations[0].shape == (200, 100)
    explorer.samples_slider.value = 100
    assert explorer.stats.activations[0].shape == (100, 100)
    explorer.activation_dropdown.value = "relu"
    assert explorer.stats.activations[-1].min() >= 0
    explorer.init_dropdown.value = "he_normal"
    np.testing.assert_array_equal(explorer.stats.act_rms, _expected(explorer).act_rms)


def test_hold_recomputes_once(explorer) -> None:
    calls = []
    original = explorer._recompute
    explorer._recompute = lambda: (calls.append(1), original())
    try:
        with explorer.hold():
            explorer.depth_slider.value = 3
            explorer.activation_dropdown.value = "tanh"
            explorer.init_dropdown.value = "orthogonal"
    finally:
        del explorer._recompute
    assert len(calls) == 1
    assert explorer.stats.settings == {**explorer.stats.settings, "depth": 3,
                                       "activation": "tanh", "init": "orthogonal"}


def test_every_activation_and_initialiser_draws(explorer) -> None:
    with explorer.hold():
        explorer.depth_slider.value = 3
        explorer.width_slider.value = 20
        explorer.samples_slider.value = 50
    pairs = [(a, "xavier_normal") for a in ACTIVATIONS] + [("tanh", n) for n in INITIALIZERS]
    for activation, name in pairs:
        with explorer.hold():
            explorer.activation_dropdown.value = activation
            explorer.init_dropdown.value = name
        assert explorer.stats.settings["init"] == name
        assert explorer.stats.settings["activation"] == activation
        assert explorer.image.value[:4] == b"\x89PNG"


def test_widgets_carry_stable_descriptions_and_css_classes(explorer) -> None:
    assert [c.description for c in explorer.controls] == [
        "depth", "width", "activation", "initialiser", "samples"]
    assert list(explorer.activation_dropdown.options) == list(ACTIVATIONS)
    assert [v for _, v in explorer.init_dropdown.options] == list(INITIALIZERS)
    assert "init-explorer-figure" in explorer.image._dom_classes
    assert "init-explorer-table" in explorer.table_output._dom_classes
    assert "init-explorer" in explorer.widget._dom_classes
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
