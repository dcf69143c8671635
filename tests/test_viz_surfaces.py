"""The 2-D test surfaces of course_lib.viz.surfaces: gradients, minima, bounds, noise."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.gradcheck import numerical_gradient, rel_error
from course_lib.viz.surfaces import (
    SURFACES,
    Beale,
    Himmelblau,
    NoisySurface,
    Quadratic,
    Rosenbrock,
    Saddle,
    Surface,
    make_surface,
)

ALL_SURFACES = [
    Quadratic(1.0),
    Quadratic(10.0),
    Quadratic(1000.0),
    Rosenbrock(),
    Rosenbrock(a=0.5, b=20.0),
    Beale(),
    Saddle(),
    Himmelblau(),
    NoisySurface(Rosenbrock(), noise=2.0, seed=3),
]
IDS = [s.name for s in ALL_SURFACES]


def _random_points(surface: Surface, count: int, rng: np.random.Generator) -> np.ndarray:
    (x0, x1), (y0, y1) = surface.bounds
    return np.column_stack([rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)])


@pytest.mark.parametrize("surface", ALL_SURFACES, ids=IDS)
def test_gradient_matches_centred_differences_at_random_points(surface: Surface) -> None:
    rng = np.random.default_rng(0)
    for point in _random_points(surface, 20, rng):
        numeric = numerical_gradient(lambda p: float(surface.f(p[0], p[1])), point.copy())
        analytic = np.array(surface.grad(*point))
        assert rel_error(analytic, numeric) < 1e-7, (surface.name, point, analytic, numeric)


@pytest.mark.parametrize("surface", ALL_SURFACES, ids=IDS)
def test_array_forms_agree_with_the_scalar_formulas(surface: Surface) -> None:
    points = _random_points(surface, 12, np.random.default_rng(1)).reshape(3, 4, 2)
    values = surface.value(points)
    grads = surface.gradient(points)
    assert values.shape == (3, 4) and grads.shape == (3, 4, 2)
    for index in np.ndindex(3, 4):
        x, y = points[index].tolist()
        assert values[index] == pytest.approx(surface.f(x, y), rel=1e-14)
        np.testing.assert_allclose(grads[index], surface.grad(x, y), rtol=1e-14)


@pytest.mark.parametrize("surface", ALL_SURFACES, ids=IDS)
def test_known_minima_have_zero_gradient_and_the_minimum_value(surface: Surface) -> None:
    assert surface.minima.ndim == 2 and surface.minima.shape[1] == 2
    for point in surface.minima:
        np.testing.assert_allclose(surface.gradient(point), 0.0, atol=1e-12)
        assert surface.value(point) == pytest.approx(surface.min_value, abs=1e-20)


@pytest.mark.parametrize("surface", ALL_SURFACES, ids=IDS)
def test_minima_are_local_minima_of_the_value(surface: Surface) -> None:
    rng = np.random.default_rng(2)
    for point in surface.minima:
        nearby = point + 1e-3 * rng.standard_normal((50, 2))
        assert np.all(surface.value(nearby) > surface.value(point))


@pytest.mark.parametrize("surface", ALL_SURFACES, ids=IDS)
def test_minima_and_start_lie_inside_the_bounds(surface: Surface) -> None:
    (x0, x1), (y0, y1) = surface.bounds
    assert x0 < x1 and y0 < y1
    for x, y in [*surface.minima, *surface.saddle_points, surface.start]:
        assert x0 <= x <= x1 and y0 <= y <= y1
    assert surface.default_lr > 0


def test_saddle_has_zero_gradient_at_the_origin_and_is_unbounded_below() -> None:
    saddle = Saddle()
    np.testing.assert_array_equal(saddle.saddle_points, [[0.0, 0.0]])
    assert saddle.grad(0.0, 0.0) == (0.0, 0.0)
    assert saddle.min_value is None and saddle.minima.shape == (0, 2)
    assert saddle.f(0.0, 10.0) == -100.0 and saddle.f(10.0, 0.0) == 100.0
    np.testing.assert_array_equal(saddle.gap(np.array([-3.0, 2.0])), [-3.0, 2.0])


def test_himmelblau_has_four_distinct_minima() -> None:
    minima = Himmelblau().minima
    assert minima.shape == (4, 2)
    distances = np.linalg.norm(minima[:, None] - minima[None], axis=-1)
    assert np.all(distances[~np.eye(4, dtype=bool)] > 1.0)


@pytest.mark.parametrize("kappa", [1.0, 7.5, 100.0])
def test_quadratic_hessian_eigenvalues_are_one_and_kappa(kappa: float) -> None:
    surface = Quadratic(kappa)
    point = np.array([0.3, -0.7])
    hessian = np.stack(
        [
            numerical_gradient(lambda p, i=i: surface.grad(p[0], p[1])[i], point.copy())
            for i in (0, 1)
        ]
    )
    np.testing.assert_allclose(np.linalg.eigvalsh(hessian), [1.0, kappa], rtol=1e-8)
    assert surface.default_lr == pytest.approx(1.0 / kappa)


def test_quadratic_rejects_condition_numbers_below_one() -> None:
    with pytest.raises(ValueError, match="condition_number"):
        Quadratic(0.5)


def test_rosenbrock_value_and_gradient_at_the_classic_start() -> None:
    surface = Rosenbrock()
    assert surface.f(-1.2, 1.0) == pytest.approx(24.2)
    np.testing.assert_allclose(surface.grad(-1.2, 1.0), [-215.6, -88.0])
    np.testing.assert_array_equal(Rosenbrock(a=2.0).minima, [[2.0, 4.0]])


def test_beale_value_at_the_origin() -> None:
    assert Beale().f(0.0, 0.0) == pytest.approx(1.5**2 + 2.25**2 + 2.625**2)


def test_noisy_surface_keeps_value_and_exact_gradient_of_its_base() -> None:
    base = Himmelblau()
    noisy = NoisySurface(base, noise=0.5, seed=1)
    points = _random_points(base, 10, np.random.default_rng(4))
    np.testing.assert_array_equal(noisy.value(points), base.value(points))
    np.testing.assert_array_equal(noisy.gradient(points), base.gradient(points))
    assert noisy.bounds == base.bounds and noisy.min_value == base.min_value
    np.testing.assert_array_equal(noisy.minima, base.minima)
    assert noisy.name == "noisy Himmelblau"


def test_noisy_gradients_scatter_around_the_exact_one_with_the_given_std() -> None:
    noisy = NoisySurface(Quadratic(10.0), noise=3.0, seed=0)
    sample = noisy.gradient_sampler()
    draws = np.array([sample(1.0, -0.5) for _ in range(20000)])
    exact = np.array(noisy.grad(1.0, -0.5))
    np.testing.assert_allclose(draws.mean(axis=0), exact, atol=0.1)
    np.testing.assert_allclose(draws.std(axis=0), [3.0, 3.0], rtol=0.03)
    assert abs(np.corrcoef(draws.T)[0, 1]) < 0.05


def test_noisy_gradient_sampler_replays_the_same_sequence_for_its_seed() -> None:
    noisy = NoisySurface(Beale(), noise=1.0, seed=7)
    first, second = noisy.gradient_sampler(), noisy.gradient_sampler()
    a = [first(0.5, 0.5) for _ in range(5)]
    b = [second(0.5, 0.5) for _ in range(5)]
    assert a == b and len(set(a)) == 5
    other = NoisySurface(Beale(), noise=1.0, seed=8).gradient_sampler()
    assert other(0.5, 0.5) != a[0]


def test_deterministic_surfaces_sample_the_exact_gradient() -> None:
    surface = Rosenbrock()
    assert surface.gradient_sampler()(0.3, 0.2) == surface.grad(0.3, 0.2)


def test_make_surface_builds_every_menu_entry_and_wraps_noise() -> None:
    for name in SURFACES:
        surface = make_surface(name)
        assert isinstance(surface, SURFACES[name])
    assert make_surface("quadratic", condition_number=50.0).condition_number == 50.0
    noisy = make_surface("Rosenbrock", noise=0.5, seed=2)
    assert isinstance(noisy, NoisySurface) and noisy.noise == 0.5 and noisy.seed == 2


def test_bad_inputs_raise_value_errors_naming_the_problem() -> None:
    with pytest.raises(ValueError, match="unknown surface 'Ackley'"):
        make_surface("Ackley")
    with pytest.raises(ValueError, match=r"Rosenbrock.value: points must have shape \(\.\.\., 2\)"):
        Rosenbrock().value(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="noise must be >= 0"):
        NoisySurface(Beale(), noise=-1.0)
