"""A scalar reverse-mode autograd engine, and a drawing of its computational graph.

Every operation creates a new :class:`Value` that remembers its inputs and a closure, defined
right beside the forward computation, that applies the chain rule locally:
``input.grad += local_derivative * output.grad``. :meth:`Value.backward` visits the graph in
reverse topological order so that each node's gradient is complete before it is passed on.

Gradients ACCUMULATE (``+=``): a value used twice (``a + a``, or a weight shared by two
neurons) receives the sum of both paths' contributions, which is the multivariate chain rule.
The flip side, as in torch: the inputs' gradients keep accumulating across calls to
``backward()``; call :meth:`Value.zero_grad` on the output (or build fresh values) between
passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

Number = int | float


class Value:
    """A scalar node of a computational graph.

    Attributes:
        data: the value computed by the forward pass.
        grad: d(output)/d(this value), filled in by ``backward()`` on the output.
        label: an optional name shown in drawings.
    """

    def __init__(self, data: Number, _children: tuple[Value, ...] = (), _op: str = "",
                 label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._prev = _children
        self._op = _op
        self.label = label
        self._backward: Callable[[], None] = lambda: None

    # ---- arithmetic -------------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:  # d(a + b)/da = d(a + b)/db = 1: the gradient is distributed
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:  # d(a b)/da = b, d(a b)/db = a: the inputs are swapped
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: Number) -> Value:
        if not isinstance(exponent, (int, float)):
            raise ValueError(f"Value.__pow__: the exponent must be an int or float, "
                             f"got {type(exponent).__name__}")
        out = Value(self.data**exponent, (self,), f"**{exponent:g}")

        def _backward() -> None:  # d(a^k)/da = k a^(k-1)
            self.grad += exponent * self.data ** (exponent - 1) * out.grad

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | Number) -> Value:
        return self + (-_as_value(other))

    def __truediv__(self, other: Value | Number) -> Value:
        return self * _as_value(other) ** -1

    def __radd__(self, other: Number) -> Value:
        return self + other

    def __rmul__(self, other: Number) -> Value:
        return self * other

    def __rsub__(self, other: Number) -> Value:
        return _as_value(other) - self

    def __rtruediv__(self, other: Number) -> Value:
        return _as_value(other) / self

    # ---- functions --------------------------------------------------------------------------

    def exp(self) -> Value:
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:  # d(e^a)/da = e^a
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"Value.log: needs a positive value, got {self.data}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:  # d(log a)/da = 1 / a
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward() -> None:  # d(tanh a)/da = 1 - tanh(a)^2
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        s = 1 / (1 + math.exp(-self.data)) if self.data >= 0 else \
            math.exp(self.data) / (1 + math.exp(self.data))
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:  # d(sigma(a))/da = sigma(a) (1 - sigma(a))
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), (self,), "relu")

        def _backward() -> None:  # 1 where a > 0, else 0
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    def max(self, other: Value | Number) -> Value:
        """``max(a, b)``: the gradient is routed to the larger input (to ``a`` on a tie)."""
        other = _as_value(other)
        out = Value(max(self.data, other.data), (self, other), "max")

        def _backward() -> None:
            if self.data >= other.data:
                self.grad += out.grad
            else:
                other.grad += out.grad

        out._backward = _backward
        return out

    # ---- the backward pass ------------------------------------------------------------------

    def topological_order(self) -> list[Value]:
        """Every node this value depends on, inputs before the nodes that use them."""
        order: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:  # iterative depth-first search: deep graphs do not hit the recursion limit
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev if id(child) not in seen)
        return order

    def backward(self) -> None:
        """Set ``grad`` of every node to d(self)/d(node): seed ``self.grad = 1``, then apply each
        node's local rule in reverse topological order.

        As in torch, intermediate nodes start from zero on every call while the inputs (leaves)
        accumulate: calling ``backward()`` twice doubles the inputs' gradients."""
        order = self.topological_order()
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def zero_grad(self) -> None:
        """Reset ``grad`` to 0 on this node and every node it depends on."""
        for node in self.topological_order():
            node.grad = 0.0

    def __repr__(self) -> str:
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.4g}, grad={self.grad:.4g})"


def _as_value(x: Value | Number) -> Value:
    return x if isinstance(x, Value) else Value(x)


# ---- drawing --------------------------------------------------------------------------------


def _layout(root: Value) -> tuple[list[tuple[str, Any]], list[tuple[int, int]], dict[int, tuple]]:
    """Nodes (values and operations), edges, and grid positions (column, row).

    Each Value becomes a box; each operation a small circle between its inputs and its result.
    Columns come from the longest path from an input, so data flows left to right.
    """
    nodes: list[tuple[str, Any]] = []
    index: dict[int, int] = {}
    edges: list[tuple[int, int]] = []
    for v in root.topological_order():
        index[id(v)] = len(nodes)
        nodes.append(("value", v))
        if v._op:
            op_i = len(nodes)
            nodes.append(("op", v._op))
            for child in v._prev:
                edges.append((index[id(child)], op_i))
            edges.append((op_i, index[id(v)]))
    depth = [0] * len(nodes)
    for a, b in edges:  # edges are listed in topological order, so one pass suffices
        depth[b] = max(depth[b], depth[a] + 1)
    consumers: dict[int, list[int]] = {}
    for a, b in edges:
        consumers.setdefault(a, []).append(b)
    for i in reversed(range(len(nodes))):  # an input sits just left of its first use
        if nodes[i][0] == "value" and not nodes[i][1]._prev and i in consumers:
            depth[i] = min(depth[b] for b in consumers[i]) - 1
    # rows: from the output leftwards, each column ordered by where its nodes are consumed
    positions: dict[int, tuple[int, int]] = {}
    for d in sorted(set(depth), reverse=True):
        column = [i for i in range(len(nodes)) if depth[i] == d]
        column.sort(key=lambda i: sum(positions[b][1] for b in consumers.get(i, []))
                    / max(1, len(consumers.get(i, []))))
        for row, i in enumerate(column):
            positions[i] = (d, row)
    return nodes, edges, positions


def _value_text(v: Value) -> str:
    name = f"{v.label} | " if v.label else ""
    return f"{name}data {v.data:.4f} | grad {v.grad:.4f}"


class GraphSVG:
    """An SVG drawing; Jupyter shows it through ``_repr_svg_``; ``.svg`` holds the text."""

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)


def draw_graph(root: Value, format: str = "svg") -> Any:
    """Draw the graph that computes ``root``: each value with its label, data and gradient,
    each operation as a circle. No graphviz needed.

    Args:
        root: the output node.
        format: ``"svg"`` (a :class:`GraphSVG`, displayed inline by Jupyter) or
            ``"matplotlib"`` (a Figure).
    """
    if format not in ("svg", "matplotlib"):
        raise ValueError(f"draw_graph: format must be 'svg' or 'matplotlib', got {format!r}")
    nodes, edges, pos = _layout(root)
    col_w, row_h = 230, 70
    n_cols = max(c for c, _ in pos.values()) + 1
    n_rows = max(r for _, r in pos.values()) + 1
    if format == "matplotlib":
        return _draw_matplotlib(nodes, edges, pos, n_cols, n_rows)
    box_w, box_h, radius = 200, 34, 16

    def centre(i: int) -> tuple[float, float]:
        c, r = pos[i]
        return 20 + c * col_w + box_w / 2, 20 + r * row_h + box_h / 2

    parts = []
    for a, b in edges:
        (x1, y1), (x2, y2) = centre(a), centre(b)
        x1 += radius if nodes[a][0] == "op" else box_w / 2
        x2 -= radius if nodes[b][0] == "op" else box_w / 2
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     'stroke="#555" marker-end="url(#arrow)"/>')
    for i, (kind, item) in enumerate(nodes):
        x, y = centre(i)
        if kind == "op":
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="#fde7c8" '
                         'stroke="#b26b00"/>')
            parts.append(f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" '
                         f'font-size="11">{escape(item)}</text>')
        else:
            parts.append(f'<rect x="{x - box_w / 2:.1f}" y="{y - box_h / 2:.1f}" '
                         f'width="{box_w}" height="{box_h}" rx="5" fill="#e3effa" '
                         'stroke="#2b6cb0"/>')
            parts.append(f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" '
                         f'font-family="monospace" font-size="11">'
                         f'{escape(_value_text(item))}</text>')
    width, height = 40 + (n_cols - 1) * col_w + box_w, 40 + (n_rows - 1) * row_h + box_h
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}"><defs><marker id="arrow" markerWidth="8" '
           'markerHeight="8" refX="8" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" '
           'fill="#555"/></marker></defs>' + "".join(parts) + "</svg>")
    return GraphSVG(svg)


def _draw_matplotlib(nodes, edges, pos, n_cols, n_rows):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4, 2.6 * n_cols), max(2, 0.8 * n_rows + 0.5)))
    xy = {i: (c, -r) for i, (c, r) in pos.items()}
    for a, b in edges:
        ax.annotate("", xy=xy[b], xytext=xy[a],
                    arrowprops={"arrowstyle": "->", "color": "#555", "shrinkA": 18,
                                "shrinkB": 18})
    for i, (kind, item) in enumerate(nodes):
        if kind == "op":
            ax.text(*xy[i], item, ha="center", va="center", fontsize=10,
                    bbox={"boxstyle": "circle", "fc": "#fde7c8", "ec": "#b26b00"})
        else:
            ax.text(*xy[i], _value_text(item), ha="center", va="center", fontsize=8,
                    family="monospace",
                    bbox={"boxstyle": "round", "fc": "#e3effa", "ec": "#2b6cb0"})
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(-n_rows + 0.4, 0.6)
    ax.axis("off")
    fig.tight_layout()
    return fig
