"""The optimizer playground: trajectory logic against engine loops and torch, and the widget."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from course_lib.engine import optim, schedules
from course_lib.engine.nn import Parameter
from course_lib.viz.playground import (
    OPTIMIZER_NAMES,
    SCHEDULE_NAMES,
    OptimizerPlayground,
    optimizer_configs,
    run_trajectories,
    schedule_config,
)
from course_lib.viz.surfaces import Beale, Himmelblau, NoisySurface, Quadratic, Rosenbrock, Saddle

TORCH_TWINS = {
    "GD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.8),
    "Nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.8, nesterov=True),
    "AdaGrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "RMSProp": lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.95),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr, betas=(0.8, 0.95)),
}
CONFIGS = optimizer_configs(momentum=0.8, beta1=0.8, beta2=0.95)


def _manual_engine_loop(surface, config, start, steps, lr, schedule=None):
    """The plain training loop, written out: what run_trajectories must reproduce exactly."""
    kwargs = dict(config)
    param = Parameter(np.array(start, dtype=float))
    optimizer = getattr(optim, kwargs.pop("type"))([param], lr=lr, **kwargs)
    scheduler = None
    if schedule is not None:
        skw = dict(schedule)
        scheduler = getattr(schedules, skw.pop("type"))(optimizer, **skw)
    path = [param.data.copy()]
    grad = surface.gradient_sampler()
    for _ in range(steps):
        param.grad = np.array(grad(*param.data))
        optimizer.step()
        path.append(param.data.copy())
        if getattr(scheduler, "needs_metric", False):
            scheduler.step(surface.f(*param.data))
        elif scheduler is not None:
            scheduler.step()
    return np.array(path)


def _torch_loop(surface, name, start, steps, lr):
    point = torch.tensor(np.array(start, dtype=float), requires_grad=True)
    optimizer = TORCH_TWINS[name]([point], lr)
    path = [point.detach().numpy().copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        x, y = point.detach().numpy()
        point.grad = torch.tensor(np.array(surface.grad(x, y), dtype=float))
        optimizer.step()
        path.append(point.detach().numpy().copy())
    return np.array(path)


@pytest.mark.parametrize("surface", [Rosenbrock(), Beale(), Himmelblau(), Quadratic(30.0)])
def test_trajectories_equal_manual_engine_optimizer_loops(surface) -> None:
    paths = run_trajectories(surface, CONFIGS, surface.start, 150, surface.default_lr)
    assert list(paths) == list(OPTIMIZER_NAMES)
    for name, config in CONFIGS.items():
        expected = _manual_engine_loop(surface, config, surface.start, 150, surface.default_lr)
        np.testing.assert_array_equal(paths[name], expected, err_msg=name)


@pytest.mark.parametrize("name", OPTIMIZER_NAMES)
def test_trajectories_match_torch_optim_on_rosenbrock(name: str) -> None:
    surface = Rosenbrock()
    path = run_trajectories(surface, {name: CONFIGS[name]}, (-1.2, 1.0), 200, 1e-3)[name]
    expected = _torch_loop(surface, name, (-1.2, 1.0), 200, 1e-3)
    np.testing.assert_allclose(path, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("schedule_name", SCHEDULE_NAMES)
def test_trajectories_with_each_schedule_equal_manual_loops(schedule_name: str) -> None:
    surface, steps = Himmelblau(), 120
    schedule = schedule_config(schedule_name, steps)
    paths = run_trajectories(surface, CONFIGS, (0.0, 0.0), steps, 0.005, schedule)
    for name, config in CONFIGS.items():
        expected = _manual_engine_loop(surface, config, (0.0, 0.0), steps, 0.005, schedule)
        np.testing.assert_array_equal(paths[name], expected, err_msg=f"{name}, {schedule_name}")


def test_schedule_changes_the_trajectory_and_constant_means_none() -> None:
    assert schedule_config("constant", 100) is None
    surface = Quadratic(10.0)
    plain = run_trajectories(surface, {"GD": {"type": "SGD"}}, surface.start, 100, 0.05)["GD"]
    cosine = run_trajectories(
        surface, {"GD": {"type": "SGD"}}, surface.start, 100, 0.05, schedule_config("cosine", 100)
    )["GD"]
    np.testing.assert_array_equal(plain[:2], cosine[:2])  # same first step at the full lr
    assert not np.allclose(plain[-1], cosine[-1])


def test_gradient_descent_on_the_quadratic_follows_the_closed_form() -> None:
    kappa, lr, steps = 10.0, 0.15, 60
    path = run_trajectories(Quadratic(kappa), {"GD": {"type": "SGD"}}, (2.0, -1.0), steps, lr)
    t = np.arange(steps + 1)
    expected = np.column_stack([2.0 * (1 - lr) ** t, -1.0 * (1 - lr * kappa) ** t])
    np.testing.assert_allclose(path["GD"], expected, rtol=1e-12, atol=1e-300)


def test_trajectory_shape_and_first_row_is_the_start() -> None:
    paths = run_trajectories(Beale(), CONFIGS, (1.0, 1.4), 37, 1e-3)
    for path in paths.values():
        assert path.shape == (38, 2)
        np.testing.assert_array_equal(path[0], [1.0, 1.4])
    zero = run_trajectories(Beale(), {"GD": {"type": "SGD"}}, (1.0, 1.4), 0, 1e-3)["GD"]
    np.testing.assert_array_equal(zero, [[1.0, 1.4]])


def test_a_config_lr_overrides_the_shared_one() -> None:
    surface = Quadratic(10.0)
    configs = {"slow": {"type": "SGD"}, "fast": {"type": "SGD", "lr": 0.1}}
    paths = run_trajectories(surface, configs, (1.0, 1.0), 3, 0.01)
    np.testing.assert_allclose(paths["slow"][1], [0.99, 0.9])
    np.testing.assert_allclose(paths["fast"][1], [0.9, 0.0], atol=1e-15)


def test_a_diverging_run_stops_with_nan_rows_and_no_warnings() -> None:
    surface = Rosenbrock()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = run_trajectories(surface, {"GD": {"type": "SGD"}}, (-1.2, 1.0), 100, 0.5)["GD"]
    assert path.shape == (101, 2)
    with np.errstate(invalid="ignore", over="ignore"):
        inside = np.hypot(path[:, 0], path[:, 1]) < 1e6  # False for inf and NaN too
    stop = int(np.argmin(inside))  # the step that left the escape radius
    assert 0 < stop < 100 and inside[:stop].all()
    assert np.isnan(path[stop + 1 :]).all()


def test_noisy_surface_gives_every_optimizer_the_same_noise_and_is_reproducible() -> None:
    noisy = NoisySurface(Quadratic(5.0), noise=1.0, seed=11)
    configs = {"a": {"type": "SGD"}, "b": {"type": "SGD"}}
    paths = run_trajectories(noisy, configs, (1.0, 1.0), 50, 0.05)
    np.testing.assert_array_equal(paths["a"], paths["b"])
    again = run_trajectories(noisy, configs, (1.0, 1.0), 50, 0.05)
    np.testing.assert_array_equal(paths["a"], again["a"])
    exact = run_trajectories(Quadratic(5.0), configs, (1.0, 1.0), 50, 0.05)
    assert not np.allclose(paths["a"], exact["a"])
    expected = _manual_engine_loop(noisy, {"type": "SGD"}, (1.0, 1.0), 50, 0.05)
    np.testing.assert_array_equal(paths["a"], expected)


def test_momentum_escapes_the_saddle_faster_than_gradient_descent() -> None:
    surface = Saddle()
    paths = run_trajectories(surface, CONFIGS, (-1.8, 1e-3), 500, 0.01)

    def escape_step(path: np.ndarray) -> int:
        return int(np.argmax(np.abs(path[:, 1]) > 1.0))

    assert 0 < escape_step(paths["momentum"]) < escape_step(paths["GD"])


def test_bad_arguments_raise_value_errors() -> None:
    with pytest.raises(ValueError, match=r"start must have shape \(2,\)"):
        run_trajectories(Beale(), CONFIGS, (1.0, 2.0, 3.0), 10, 0.1)
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        run_trajectories(Beale(), CONFIGS, (1.0, 2.0), -1, 0.1)
    with pytest.raises(ValueError, match="needs 'type' naming a class"):
        run_trajectories(Beale(), {"x": {"type": "LBFGS"}}, (1.0, 2.0), 10, 0.1)
    with pytest.raises(ValueError, match="unknown"):
        optimizer_configs(["GD", "Lion"])
    with pytest.raises(ValueError, match="unknown schedule"):
        schedule_config("warmup", 10)


# -- the widget, driven from Python ------------------------------------------------------


@pytest.fixture
def playground() -> OptimizerPlayground:
    return OptimizerPlayground(surface="Rosenbrock", optimizers=("GD", "momentum", "Adam"))


def test_widget_starts_with_the_surface_defaults_and_the_selected_optimizers(playground) -> None:
    assert playground.selected == ["GD", "momentum", "Adam"]
    assert list(playground.trajectories) == ["GD", "momentum", "Adam"]
    np.testing.assert_array_equal(playground.start, Rosenbrock().start)
    assert playground.lr_slider.value == pytest.approx(Rosenbrock().default_lr)
    assert playground.step_label.value == "step 200 / 200"
    assert playground.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    for name, path in playground.trajectories.items():
        assert path.shape == (201, 2)
        np.testing.assert_array_equal(playground.losses[name], Rosenbrock().value(path))


def test_widget_trajectories_equal_run_trajectories_with_its_settings(playground) -> None:
    playground.momentum_slider.value = 0.7
    playground.beta1_slider.value = 0.85
    playground.beta2_slider.value = 0.99
    playground.steps_slider.value = 300
    playground.schedule_dropdown.value = "exponential"
    playground.optimizer_checkboxes["RMSProp"].value = True
    expected = run_trajectories(
        Rosenbrock(),
        optimizer_configs(["GD", "momentum", "RMSProp", "Adam"], 0.7, 0.85, 0.99),
        playground.start,
        300,
        playground.lr_slider.value,
        schedule_config("exponential", 300),
    )
    assert list(playground.trajectories) == list(expected)
    for name in expected:
        np.testing.assert_array_equal(playground.trajectories[name], expected[name])


def test_moving_the_learning_rate_recomputes_and_redraws(playground) -> None:
    before_png, before_gd = playground.image.value, playground.trajectories["GD"].copy()
    playground.lr_slider.value = 2e-3
    assert playground.image.value != before_png
    assert not np.array_equal(playground.trajectories["GD"], before_gd)
    assert "lr = 0.002" in playground._ax_loss.get_title()


def test_unchecking_an_optimizer_removes_its_trajectory(playground) -> None:
    playground.optimizer_checkboxes["momentum"].value = False
    assert list(playground.trajectories) == ["GD", "Adam"]
    for box in playground.optimizer_checkboxes.values():
        box.value = False
    assert playground.trajectories == {} and playground.image.value[:4] == b"\x89PNG"


def test_the_step_slider_cuts_the_paths_and_updates_the_counter(playground) -> None:
    full_png = playground.image.value
    playground.step_slider.value = 40
    assert playground.step_label.value == "step 40 / 200"
    assert playground.image.value != full_png
    line, head, curve = playground._lines["GD"]
    np.testing.assert_array_equal(line.get_xydata(), playground.trajectories["GD"][:41])
    np.testing.assert_array_equal(head.get_xydata(), playground.trajectories["GD"][40:41])
    assert len(curve.get_xdata()) == 41


def test_changing_steps_resizes_the_play_control_and_shows_the_last_step(playground) -> None:
    playground.steps_slider.value = 500
    assert playground.play.max == playground.step_slider.max == 500
    assert playground.play.value == playground.step_slider.value == 500
    assert playground.play.step == 5
    assert playground.step_label.value == "step 500 / 500"
    assert all(p.shape == (501, 2) for p in playground.trajectories.values())


def test_choosing_a_surface_moves_start_and_lr_to_its_defaults(playground) -> None:
    playground.surface_dropdown.value = "Himmelblau"
    surface = Himmelblau()
    assert playground.surface.name == "Himmelblau"
    np.testing.assert_array_equal(playground.start, surface.start)
    assert playground.lr_slider.value == pytest.approx(surface.default_lr)
    assert (playground.start_x_slider.min, playground.start_x_slider.max) == surface.bounds[0]
    assert playground.condition_slider.disabled
    np.testing.assert_array_equal(playground.trajectories["GD"][0], surface.start)


def test_condition_number_and_noise_sliders_rebuild_the_surface(playground) -> None:
    playground.surface_dropdown.value = "quadratic"
    assert not playground.condition_slider.disabled
    playground.condition_slider.value = 100.0
    assert playground.surface.condition_number == pytest.approx(100.0)
    playground.noise_slider.value = 0.5
    assert isinstance(playground.surface, NoisySurface) and playground.surface.noise == 0.5
    playground.noise_slider.value = 0.0
    assert isinstance(playground.surface, Quadratic)


def test_start_sliders_move_the_start_point(playground) -> None:
    playground.start_x_slider.value = 0.5
    playground.start_y_slider.value = -0.5
    for path in playground.trajectories.values():
        np.testing.assert_array_equal(path[0], [0.5, -0.5])


def test_widgets_carry_stable_descriptions_and_css_classes(playground) -> None:
    descriptions = {
        playground.surface_dropdown: "surface",
        playground.condition_slider: "condition number",
        playground.noise_slider: "gradient noise",
        playground.lr_slider: "learning rate",
        playground.momentum_slider: "momentum",
        playground.beta1_slider: "beta1",
        playground.beta2_slider: "beta2",
        playground.steps_slider: "steps",
        playground.start_x_slider: "start x",
        playground.start_y_slider: "start y",
        playground.schedule_dropdown: "schedule",
        playground.play: "play",
        playground.step_slider: "step",
    }
    for widget, text in descriptions.items():
        assert widget.description == text
    assert [b.description for b in playground.optimizer_checkboxes.values()] == list(
        OPTIMIZER_NAMES
    )
    assert type(playground.lr_slider).__name__ == "FloatLogSlider"
    assert playground.play_link.source == (playground.play, "value")
    assert playground.play_link.target == (playground.step_slider, "value")
    assert playground.play.repeat  # play on the last step starts again from step 0
    assert type(playground.image).__name__ == "Image"
    assert "playground-figure" in playground.image._dom_classes
    assert "playground-step" in playground.step_label._dom_classes
    assert "playground-timing" in playground.timing_label._dom_classes
    assert "optimizer-playground" in playground.widget._dom_classes
    bundle = playground._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_every_surface_and_schedule_draws_without_errors(playground) -> None:
    for box in playground.optimizer_checkboxes.values():
        box.value = True
    for schedule in SCHEDULE_NAMES:
        playground.schedule_dropdown.value = schedule
    for name in playground.surface_dropdown.options:
        playground.surface_dropdown.value = name
        assert len(playground.trajectories) == 6
        assert playground.image.value[:4] == b"\x89PNG"


def test_unknown_surface_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown surface"):
        OptimizerPlayground(surface="Ackley")
