"""The scalar autograd engine: known gradients, every op against finite differences,
accumulation, and the graph drawing."""

import math
import xml.etree.ElementTree as ET

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from course_lib.autograd import Value, draw_graph  # noqa: E402


def test_add_then_multiply_gives_the_lecture_gradients():
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    f = (x + y) * z
    f.backward()
    assert f.data == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)


def test_sigmoid_neuron_gradients_match_the_analytic_formula():
    w0, x0, w1, x1, w2 = (Value(v) for v in (2.0, -1.0, -3.0, -2.0, -3.0))
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.backward()
    s = 1 / (1 + math.exp(-(2 * -1 + -3 * -2 - 3)))
    ds = s * (1 - s)
    assert f.data == pytest.approx(s)
    assert [w0.grad, x0.grad, w1.grad, x1.grad, w2.grad] == pytest.approx(
        [-1 * ds, 2 * ds, -2 * ds, -3 * ds, ds])


OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a**3 + b**-2, "radd": lambda a, b: 2 + a,
    "rsub": lambda a, b: 1 - b, "rdiv": lambda a, b: 3 / a, "neg": lambda a, b: -a * b,
    "exp": lambda a, b: a.exp() * b, "log": lambda a, b: (a * a).log() + b,
    "tanh": lambda a, b: (a * b).tanh(), "sigmoid": lambda a, b: (a - b).sigmoid(),
    "relu": lambda a, b: (a * b).relu() + (a - 5).relu(), "max": lambda a, b: a.max(b) * 2,
}


@pytest.mark.parametrize("name", OPS)
def test_each_operation_matches_finite_differences(name):
    fn, h = OPS[name], 1e-6
    for a0, b0 in [(1.3, -0.7), (-0.4, 2.1)]:
        a, b = Value(a0), Value(b0)
        out = fn(a, b)
        out.backward()

        def f(x, y):
            return fn(Value(x), Value(y)).data

        da = (f(a0 + h, b0) - f(a0 - h, b0)) / (2 * h)
        db = (f(a0, b0 + h) - f(a0, b0 - h)) / (2 * h)
        assert a.grad == pytest.approx(da, rel=1e-6, abs=1e-8)
        assert b.grad == pytest.approx(db, rel=1e-6, abs=1e-8)


def test_a_reused_node_accumulates_both_paths_and_zero_grad_resets():
    a = Value(3.0)
    b = a * a + a  # d/da = 2a + 1
    b.backward()
    assert a.grad == 7.0
    b.backward()  # documented: gradients accumulate
    assert a.grad == 14.0
    b.zero_grad()
    assert a.grad == 0.0


def test_deep_graphs_do_not_hit_the_recursion_limit():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_drawings_show_every_value_and_gradient():
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    f = (x + y) * z
    f.backward()
    svg = draw_graph(f).svg
    root = ET.fromstring(svg)
    texts = " ".join(t.text for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for fragment in ("x | data -2.0000 | grad -4.0000", "z | data -4.0000 | grad 3.0000",
                     "data -12.0000 | grad 1.0000", "+", "*"):
        assert fragment in texts
    assert draw_graph(f)._repr_svg_() == svg
    fig = draw_graph(f, format="matplotlib")
    labelled = [t for t in fig.axes[0].texts if t.get_text()]
    assert len(labelled) == 7  # 5 values and 2 operations (arrows carry no text)
    with pytest.raises(ValueError, match="format must be 'svg' or 'matplotlib'"):
        draw_graph(f, format="png")
