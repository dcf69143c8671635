"""Assertions for notebook test cells, with messages written for students.

Every check raises ``AssertionError`` when it fails, and its message starts with the ``name``
the test cell passed, then says what is wrong in terms a student can act on: the shape got
and the shape expected, where a NaN appeared, or the worst entry (its index, the value got,
the value expected, the largest relative error and the tolerance allowed).

Relative error is the one of :func:`course_lib.gradcheck.rel_error`, entry by entry:
``|a - e| / max(1e-8, |a| + |e|)``. An entry counts as wrong when its relative error exceeds
the allowed ``rtol`` *and* its absolute error exceeds ``atol`` (so that round-off around
zero never fails a correct answer).

Example (a test cell)::

    check_close(relu_forward(np.array([-1.0, 2.0]))[0], np.array([0.0, 2.0]), name="relu")
    check_gradient(relu_forward, relu_backward, shape=(4, 5), name="relu_backward")
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import numbers
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from course_lib.gradcheck import numerical_gradient, numerical_gradient_array

__all__ = [
    "Mistake",
    "Score",
    "check_close",
    "check_equal",
    "check_gradient",
    "check_loss_gradient",
    "check_shape",
    "check_true",
    "hidden_rng",
    "recognise",
]

#: Absolute differences below this count as equal in gradient checks: the round-off floor of
#: a centred difference with step 1e-5 on float64 sums of a few hundred terms.
GRADIENT_ATOL = 1e-8


def _fmt(value: Any, digits: int = 6) -> str:
    """A number as a student reads it: ``digits`` significant digits, floats keep a point."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (numbers.Integral, np.integer)):
        return str(int(value))
    if isinstance(value, (numbers.Real, np.floating)):
        text = f"{float(value):.{digits}g}"
        if not any(ch in text for ch in ".einf"):
            text += ".0"
        return text
    if isinstance(value, (numbers.Complex, np.complexfloating)):
        return f"{complex(value):.6g}"
    return repr(value)


def _fmt_pair(got: Any, expected: Any) -> tuple[str, str]:
    """``got`` and ``expected`` with enough digits to tell them apart (6 at least, 17 at most)."""
    for digits in (6, 9, 12, 17):
        a, e = _fmt(got, digits), _fmt(expected, digits)
        if a != e:
            return a, e
    return a, e


def _fmt_index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _to_numpy(value: Any, name: str) -> np.ndarray:
    """``value`` as an ndarray (numbers, sequences, NumPy arrays, torch tensors), or fail."""
    if value is None:
        raise AssertionError(f"{name}: got None; did you forget to `return` the result?")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if not isinstance(value, (np.ndarray, np.generic, numbers.Number, list, tuple)):
        raise AssertionError(
            f"{name}: expected a NumPy array or a number, got {type(value).__name__}"
        )
    try:
        array = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise AssertionError(f"{name}: could not be read as an array ({err})") from None
    if array.dtype == object or array.dtype.kind in "SUV":
        raise AssertionError(
            f"{name}: expected numbers, got an array of {array.dtype} "
            f"(type {type(value).__name__})"
        )
    return array


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"{shape} (a scalar)" if shape == () else str(shape)


@dataclass(frozen=True)
class Mistake:
    """A common mistake of an exercise, recognised by what it produces, never by the code.

    A test cell keeps its exercise's catalogue of mistakes beside its checks and hands it to
    a check (``check_close(..., mistakes=[...])``). When the answer is wrong, the check
    compares it with what each catalogued mistake gives on the same inputs; the first one it
    matches is named in the message, in the words of ``says``, before the usual details.

    Say what the mistake produces in one of two ways:

    * ``gives``: the value the mistake produces (an array or a number), or a function of the
      expected value that returns it (``gives=lambda e: 4 * e`` for a forgotten batch
      average with N = 4). The answer matches when it is close to it (``rtol``, ``atol``);
    * ``when``: a predicate ``when(actual, expected) -> bool`` on the answer, for a property
      only the mistake has (``lambda a, e: np.allclose(a, e.T)``).

    Example (in a test cell)::

        mistakes = [
            Mistake("batch-sum", "your dW is N times the expected one: average the batch "
                    "(divide by N)", gives=lambda e: N * e),
            Mistake("transposed", "your dW is the transpose of the expected one: dW = X.T @ "
                    "dout has the shape of W", when=lambda a, e: a.shape == e.T.shape
                    and np.allclose(a, e.T)),
        ]
        check_close(dW, expected, name="dW", mistakes=mistakes)

    Attributes:
        key: short identifier, unique in the lab (``"batch-sum"``); tests plant each one.
        says: what is wrong and what to do, in plain words, addressed to the student.
        gives: what the mistake produces (value, or function of the expected value).
        when: predicate on ``(actual, expected)``, instead of ``gives``.
        rtol: relative tolerance when comparing with ``gives``.
        atol: absolute tolerance when comparing with ``gives``.
    """

    key: str
    says: str
    gives: Any = None
    when: Callable[[np.ndarray, np.ndarray], bool] | None = None
    rtol: float = 1e-6
    atol: float = 1e-9

    def __post_init__(self) -> None:
        if (self.gives is None) == (self.when is None):
            raise ValueError(f"Mistake {self.key!r}: give exactly one of `gives` or `when`")

    def matches(self, actual: np.ndarray, expected: np.ndarray) -> bool:
        """True when ``actual`` is what this mistake produces (never raises)."""
        try:
            if self.when is not None:
                return bool(self.when(actual, expected))
            produced = self.gives(expected) if callable(self.gives) else self.gives
            produced = np.asarray(
                produced.detach().cpu() if hasattr(produced, "detach") else produced)
            if produced.shape != actual.shape or produced.dtype.kind not in "biufc":
                return False
            a = actual.astype(np.float64)
            p = produced.astype(np.float64)
            if not (np.all(np.isfinite(a)) and np.all(np.isfinite(p))):
                return bool(np.array_equal(a, p, equal_nan=True))
            return bool(np.all(np.abs(a - p) <= self.atol + self.rtol * np.abs(p)))
        except Exception:  # a catalogue entry that does not apply to this answer
            return False


def recognise(actual: Any, expected: Any, mistakes: Sequence[Mistake]) -> Mistake | None:
    """The first catalogued mistake ``actual`` matches, or None.

    Args:
        actual: the student's (wrong) answer, any array-like.
        expected: the correct answer on the same inputs.
        mistakes: the exercise's catalogue.
    """
    try:
        a = np.asarray(actual.detach().cpu() if hasattr(actual, "detach") else actual)
        e = np.asarray(expected.detach().cpu() if hasattr(expected, "detach") else expected)
    except Exception:
        return None
    for mistake in mistakes:
        if mistake.matches(a, e):
            return mistake
    return None


@contextlib.contextmanager
def _naming(actual: Any, expected: Any, label: str, mistakes: Sequence[Mistake]) -> Iterator[None]:
    """Re-raise a failed check's message with the recognised mistake named first."""
    try:
        yield
    except AssertionError as err:
        found = recognise(actual, expected, mistakes) if mistakes else None
        if found is None:
            raise
        raise AssertionError(
            f"{label}: {found.says} [common mistake: {found.key}]. Details: {err}"
        ) from None


def _compare(
    actual: np.ndarray,
    expected: np.ndarray,
    label: str,
    rtol: float,
    atol: float,
    against: str = "",
    nan_ok: bool = False,
) -> None:
    """Entry-wise comparison of two arrays of the same shape; fail on the worst entry.

    A NaN in ``actual`` fails unless ``nan_ok`` and the same entry of ``expected`` is NaN.
    """
    a = actual.astype(np.result_type(actual.dtype, np.float64), copy=False)
    e = expected.astype(np.result_type(expected.dtype, np.float64), copy=False)
    both_nan = np.isnan(a) & np.isnan(e) if nan_ok else np.zeros(a.shape, dtype=bool)
    same_inf = np.isinf(a) & (a == e)
    for kind, bad in (("NaN", np.isnan(a) & ~both_nan), ("inf", np.isinf(a) & ~same_inf)):
        if np.any(bad):
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            first = _fmt(a[where]) if kind == "inf" else "NaN"
            if a.ndim == 0:
                raise AssertionError(f"{label} is {first} but {_fmt(e[()])} was expected")
            raise AssertionError(
                f"{label} is {first} at {_fmt_index(where)} where {_fmt(e[where])} was expected "
                f"({int(bad.sum())} of {bad.size} entries are {kind})"
            )
    special = both_nan | same_inf
    finite_vs_special = ~special & ~np.isfinite(e)  # a finite entry where NaN/inf is expected
    a0 = np.where(special | finite_vs_special, 0.0, a)
    e0 = np.where(special | finite_vs_special, 0.0, e)
    abs_err = np.where(finite_vs_special, np.inf, np.abs(a0 - e0))
    rel = np.where(finite_vs_special, np.inf, abs_err / np.maximum(1e-8, np.abs(a0) + np.abs(e0)))
    bad = (abs_err > atol) & (rel > rtol)
    if not np.any(bad):
        return
    worst = np.unravel_index(int(np.argmax(np.where(bad, rel, -1.0))), a.shape)
    max_rel = float(np.max(rel[bad]))
    detail = f"max relative error {_fmt(max_rel, 3)}, allowed {_fmt(rtol)}"
    if a.ndim == 0:
        got, want = _fmt_pair(a[()], e[()])
        raise AssertionError(
            f"{label} differs{against}: got {got}, expected {want} "
            f"(relative error {_fmt(max_rel, 3)}, allowed {_fmt(rtol)})"
        )
    got, want = _fmt_pair(a[worst], e[worst])
    raise AssertionError(
        f"{label} differs{against} at {_fmt_index(worst)}: got {got}, "
        f"expected {want} ({detail}; {int(bad.sum())} of {bad.size} entries differ)"
    )


def check_close(
    actual: Any, expected: Any, name: str, rtol: float = 1e-7, atol: float = 1e-9,
    *, nan_ok: bool = False, mistakes: Sequence[Mistake] = (),
) -> None:
    """Assert that ``actual`` equals ``expected`` up to round-off.

    Checks, in order: that ``actual`` is a number or an array (not None), its shape, NaN or
    inf entries, then every entry: it fails when
    ``|a - e| > atol`` and ``|a - e| / max(1e-8, |a| + |e|) > rtol``.

    Args:
        actual: the student's result (number, ndarray, nested list or torch tensor).
        expected: the correct result.
        name: what is compared, e.g. ``"softmax(z)"``; every message starts with it.
        rtol: largest relative error allowed.
        atol: absolute differences below this always pass.
        nan_ok: accept NaN where ``expected`` has NaN (by default any NaN in ``actual``
            fails: a NaN never matches a NaN computed from the same wrong values).
        mistakes: the exercise's catalogue (:class:`Mistake`); a wrong answer that matches
            one is told which mistake it is.
    Raises:
        AssertionError: e.g. ``"name differs at [3, 1]: got 0.0, expected 0.731
        (max relative error 1, allowed 1e-07; 1 of 12 entries differ)"``.
    """
    a = _to_numpy(actual, name)
    e = np.asarray(expected.detach().cpu() if hasattr(expected, "detach") else expected)
    with _naming(a, e, name, mistakes):
        if a.shape != e.shape:
            raise AssertionError(
                f"{name}: shape {_shape_text(a.shape)} but expected {_shape_text(e.shape)}"
            )
        _compare(a, e, name, rtol=rtol, atol=atol, nan_ok=nan_ok)


def check_shape(actual: Any, expected_shape: Sequence[int], name: str) -> None:
    """Assert that ``actual`` is an array of shape ``expected_shape``.

    Args:
        actual: the student's array (or torch tensor).
        expected_shape: e.g. ``(N, M)``.
        name: what is checked; every message starts with it.
    Raises:
        AssertionError: ``"name: shape (3, 4) but expected (4, 3)"``.
    """
    expected_shape = tuple(int(n) for n in expected_shape)
    a = _to_numpy(actual, name)
    if a.shape != expected_shape:
        raise AssertionError(
            f"{name}: shape {_shape_text(a.shape)} but expected {_shape_text(expected_shape)}"
        )


def check_true(condition: Any, message: str) -> None:
    """Assert that ``condition`` holds; ``message`` is shown to the student as it is.

    Args:
        condition: anything truthy; a NumPy array must be true everywhere.
        message: the whole message, starting with what is checked.
    """
    holds = bool(np.all(condition)) if isinstance(condition, np.ndarray) else bool(condition)
    if not holds:
        raise AssertionError(message)


def check_equal(
    actual: Any, expected: Any, name: str, *, mistakes: Sequence[Mistake] = ()
) -> None:
    """Assert exact equality: integers, labels, booleans, shapes, strings.

    Arrays are compared entry by entry after a shape check; anything else with ``==``.

    Args:
        actual: the student's value.
        expected: the correct value.
        name: what is compared; every message starts with it.
        mistakes: the exercise's catalogue (:class:`Mistake`), as in :func:`check_close`.
    Raises:
        AssertionError: ``"name differs at [2]: got 1, expected 0 (3 of 10 entries
        differ)"`` or ``"name: got 'abc', expected 'abd'"``.
    """
    with _naming(actual, expected, name, mistakes):
        _check_equal(actual, expected, name)


def _check_equal(actual: Any, expected: Any, name: str) -> None:
    if actual is None and expected is not None:
        raise AssertionError(f"{name}: got None; did you forget to `return` the result?")
    arrays = (np.ndarray, list, tuple)
    if isinstance(actual, arrays) or isinstance(expected, arrays) or hasattr(actual, "detach"):
        a = _to_numpy(actual, name)
        e = np.asarray(expected)
        if a.shape != e.shape:
            raise AssertionError(
                f"{name}: shape {_shape_text(a.shape)} but expected {_shape_text(e.shape)}"
            )
        differ = a != e
        if np.any(differ):
            where = tuple(int(i) for i in np.argwhere(differ)[0])
            got, want = _fmt_pair(a[where].item(), e[where].item())
            raise AssertionError(
                f"{name} differs at {_fmt_index(where)}: got {got}, "
                f"expected {want} ({int(differ.sum())} of {differ.size} entries differ)"
            )
        return
    if not actual == expected:
        got, want = _fmt_pair(actual, expected)
        raise AssertionError(f"{name}: got {got}, expected {want}")


def _split_forward(result: Any, inputs: list[Any]) -> tuple[Any, Any]:
    """``(out, cache)`` from a forward's result; a bare ``out`` gets the inputs as its cache."""
    if isinstance(result, tuple) and len(result) == 2:
        return result[0], result[1]
    return result, inputs[0] if len(inputs) == 1 else tuple(inputs)


def _input_names(forward: Callable[..., Any], count: int) -> list[str]:
    """Names of the forward's positional parameters, e.g. ``["x", "W", "b"]``."""
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [
        p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return [positional[i] if i < len(positional) else f"input{i}" for i in range(count)]


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def check_gradient(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    inputs: Sequence[Any] | None = None,
    shape: Sequence[int] | None = None,
    name: str = "",
    tol: float = 1e-7,
    rng: np.random.Generator | None = None,
    wrt: Sequence[int] | None = None,
    *,
    atol: float = GRADIENT_ATOL,
    mistakes: Sequence[Mistake] = (),
) -> None:
    """Assert that ``backward`` returns the gradients of ``forward`` (numerical check).

    With a random standard-normal upstream gradient ``dout`` (never all ones, so that every
    output entry matters), each checked input's analytic gradient is compared with the
    centred-difference gradient of ``sum(forward(...) * dout)``
    (:func:`course_lib.gradcheck.numerical_gradient_array`), in float64.

    Args:
        forward: ``forward(*inputs) -> (out, cache)``, or just ``out`` (then ``backward``
            gets the inputs as its cache: the input itself when there is one).
        backward: ``backward(dout, cache) -> dx`` or a tuple with the gradient of input
            ``k`` at position ``k``.
        inputs: the forward's arguments; float arrays are copied to float64, anything else
            (flags, integer labels) is passed as it is.
        shape: instead of ``inputs``, one standard-normal float64 input of this shape.
        name: what is checked, e.g. ``"relu_backward"``; every message starts with it.
        tol: largest relative error allowed (entries off by less than ``atol`` always pass).
        rng: generator for the random input and ``dout``; fresh and unseeded by default.
        wrt: indices of the inputs to check; by default every gradient ``backward`` returns.
        atol: absolute differences below this always pass (round-off floor).
        mistakes: the exercise's catalogue (:class:`Mistake`); ``gives`` and ``when`` get
            the numerical gradient of the input being checked as the expected value.
    Raises:
        AssertionError: e.g. ``"relu_backward: dx differs from the numerical gradient at
        [3, 1]: got 0.0, expected 0.731 (max relative error 1, allowed 1e-07; ...)"``.
        ValueError: if neither or both of ``inputs`` and ``shape`` are given.
    """
    if (inputs is None) == (shape is None):
        raise ValueError("check_gradient: pass exactly one of `inputs` or `shape`")
    rng = np.random.default_rng() if rng is None else rng
    if inputs is None:
        inputs = [rng.standard_normal(tuple(shape))]
    inputs = [
        np.array(x, dtype=np.float64)
        if isinstance(x, np.ndarray) and x.dtype.kind in "fc"
        else x
        for x in inputs
    ]
    label = name or getattr(backward, "__name__", "backward")
    names = _input_names(forward, len(inputs))

    out, cache = _split_forward(forward(*[_copy(x) for x in inputs]), inputs)
    out = _to_numpy(out, f"{label}: the forward output")
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
    checked = range(len(grads)) if wrt is None else wrt

    for i in checked:
        if i >= len(inputs):
            raise ValueError(f"check_gradient: wrt index {i} but only {len(inputs)} inputs")
        if i >= len(grads):
            raise AssertionError(
                f"{label}: backward returned {len(grads)} gradient(s); the gradient of "
                f"{names[i]} (input {i}) is missing"
            )
        x = inputs[i]
        if not isinstance(x, np.ndarray):
            raise ValueError(f"check_gradient: input {i} ({names[i]}) is not a float array")
        grad = _to_numpy(grads[i], f"{label}: d{names[i]}")
        if grad.shape != x.shape:
            raise AssertionError(
                f"{label}: d{names[i]} has shape {_shape_text(grad.shape)} but expected "
                f"{x.shape}, the shape of {names[i]}"
            )

        def f_of_input(xi: np.ndarray, i: int = i) -> np.ndarray:
            args = [xi if k == i else _copy(v) for k, v in enumerate(inputs)]
            return np.asarray(_split_forward(forward(*args), args)[0], dtype=np.float64)

        numeric = numerical_gradient_array(f_of_input, x.copy(), dout)
        with _naming(grad, numeric, f"{label}: d{names[i]}", mistakes):
            _compare(
                grad, numeric, f"{label}: d{names[i]}", rtol=tol, atol=atol,
                against=" from the numerical gradient",
            )


def check_loss_gradient(
    loss_fn: Callable[[np.ndarray], tuple[Any, Any]],
    x: np.ndarray,
    name: str,
    tol: float = 1e-7,
    *,
    atol: float = GRADIENT_ATOL,
    mistakes: Sequence[Mistake] = (),
) -> None:
    """Assert that a loss returns its own gradient: ``loss_fn(x) -> (loss, dx)``.

    ``dx`` is compared with the centred-difference gradient of the scalar loss
    (:func:`course_lib.gradcheck.numerical_gradient`), in float64.

    Args:
        loss_fn: maps an array ``x`` to ``(scalar loss, dloss/dx)``.
        x: the point at which to check, any shape (copied to float64).
        name: what is checked; every message starts with it.
        tol: largest relative error allowed.
        atol: absolute differences below this always pass.
        mistakes: the exercise's catalogue (:class:`Mistake`) for ``dx``; ``gives`` and
            ``when`` get the numerical gradient as the expected value.
    Raises:
        AssertionError: the loss is not a finite scalar, ``dx`` has the wrong shape, or an
        entry of ``dx`` differs from the numerical gradient.
    """
    x = np.array(x, dtype=np.float64)
    loss, dx = loss_fn(x.copy())
    loss = _to_numpy(loss, f"{name}: the loss")
    if loss.size != 1:
        raise AssertionError(f"{name}: the loss must be a scalar, got shape {loss.shape}")
    if not np.isfinite(loss).all():
        raise AssertionError(f"{name}: the loss is {_fmt(loss.item())}")
    dx = _to_numpy(dx, f"{name}: dx")
    if dx.shape != x.shape:
        raise AssertionError(
            f"{name}: dx has shape {_shape_text(dx.shape)} but expected {x.shape}, the shape of x"
        )
    numeric = numerical_gradient(lambda z: float(np.asarray(loss_fn(z)[0])), x.copy())
    with _naming(dx, numeric, f"{name}: dx", mistakes):
        _compare(
            dx, numeric, f"{name}: dx", rtol=tol, atol=atol,
            against=" from the numerical gradient",
        )


# --- grading context: seeds for hidden inputs, and where a test cell runs ----------------------


class _Context:
    """Set by the grader around each test cell it runs (see :func:`grading_context`)."""

    seed_text: str | None = None  # "<course>/<lab>/<test>/<student>", None outside grading
    trusted: bool = False  # True: the cell runs in the grader, scores are partial numbers


_CONTEXT = _Context()


@contextlib.contextmanager
def grading_context(seed_text: str, trusted: bool = True) -> Iterator[None]:
    """The grader's side of a test cell: hidden inputs seeded by ``seed_text``.

    Args:
        seed_text: what the seed is derived from, ``"<course>/<lab>/<test>/<student>"``.
        trusted: the cell runs in the grader (then :meth:`Score.result` returns a number
            instead of raising).
    """
    previous = (_CONTEXT.seed_text, _CONTEXT.trusted)
    _CONTEXT.seed_text, _CONTEXT.trusted = seed_text, trusted
    try:
        yield
    finally:
        _CONTEXT.seed_text, _CONTEXT.trusted = previous


def in_grading_kernel() -> bool:
    """True in a kernel that runs a notebook to check it, not for a person to watch: the
    grader's (``COURSE_LIB_GRADING=1``) and nbgrader's validation (``NBGRADER_VALIDATING=1``:
    the Validate button, ``python -m autograder validate``). Demos that only illustrate, such
    as a long training run or a timing, may do less work there; nothing graded may depend on
    it."""
    import os

    return os.environ.get("COURSE_LIB_GRADING") == "1" or (
        os.environ.get("NBGRADER_VALIDATING") == "1")


def seed_text(course: str, lab: str, test: str, student: str) -> str:
    """What a test cell's hidden inputs are drawn from while it is graded."""
    return f"{course}/{lab}/{test}/{student}"


def seed_from(text: str) -> int:
    """A 63-bit seed from a text (SHA-256), the same on every machine and Python."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def hidden_rng(salt: str = "") -> np.random.Generator:
    """The generator a test cell draws its hidden inputs from.

    While grading, its seed comes from the course, lab, test and student (and ``salt``, for
    several generators in one cell), so that a regrade sees the same inputs and an instructor
    can replay a failure; outside grading it is seeded from ``salt`` alone.

    Returns:
        ``np.random.default_rng(seed)``.
    """
    base = _CONTEXT.seed_text if _CONTEXT.seed_text is not None else "outside grading"
    return np.random.default_rng(seed_from(f"{base}/{salt}"))


def current_seed(salt: str = "") -> int:
    """The seed :func:`hidden_rng` uses now (for the gradebook and for replays)."""
    base = _CONTEXT.seed_text if _CONTEXT.seed_text is not None else "outside grading"
    return seed_from(f"{base}/{salt}")


def _describe_exception(err: BaseException) -> str:
    """``"IndexError: tuple index out of range (in your batchnorm_forward, line 12)"``."""
    text = f"{type(err).__name__}: {err}".rstrip(": ")
    frames = traceback.extract_tb(err.__traceback__)
    student = [f for f in frames if f.filename.startswith(("<ipython-input", "/tmp/ipykernel"))
               or f.filename.startswith("<cell")]
    if student:
        text += f" (in {student[-1].name}, line {student[-1].lineno})"
    return text


class Score:
    """Partial credit for a test cell: one named requirement at a time.

    Each requirement runs in ``with score.part(name):``; a failed check (or any exception)
    inside it costs that requirement's share of the points and is reported with its name and
    the message. The cell ends with ``score.result()``:

    * in the student's own kernel (working, ``validate``) it raises ``AssertionError`` listing
      every failed requirement, so that a cell with a failure shows as failed;
    * when the grader runs the cell (trusted), it returns the points earned, which nbgrader
      takes as the cell's partial score, after printing what failed.

    Example::

        score = Score(3)
        with score.part("output on the example"):
            check_close(out, expected, name="out")
        with score.part("running variance (unbiased)", weight=2):
            check_close(running_var, expected_var, name="running_var")
        score.result()

    Args:
        points: the cell's points (as in its nbgrader metadata).
    """

    def __init__(self, points: float) -> None:
        self.points = float(points)
        self.parts: list[tuple[str, float, str | None]] = []  # (name, weight, failure or None)

    @contextlib.contextmanager
    def part(self, name: str, weight: float = 1.0, *, on: str = "") -> Iterator[None]:
        """One requirement, worth ``weight`` shares; failures inside are recorded.

        Args:
            name: the requirement in words (``"running variance (unbiased)"``).
            weight: its share of the cell's points.
            on: the inputs it is checked on, in words (``"x of shape (1, 3), p = 0"``):
                an exception the student's code raises is reported with them.
        """
        try:
            yield
        except AssertionError as err:
            self.parts.append((name, float(weight), str(err) or "a check failed"))
        except MemoryError:  # a limit of the grading kernel: the whole cell, with its status
            raise
        except Exception as err:  # the student's code raised: say which requirement
            given = f" on {on}" if on else ""
            self.parts.append(
                (name, float(weight), f"raised {_describe_exception(err)}{given}"))
        else:
            self.parts.append((name, float(weight), None))

    def failures(self) -> list[tuple[str, str]]:
        """``(requirement, message)`` of each failed requirement."""
        return [(name, failure) for name, _, failure in self.parts if failure is not None]

    def earned(self) -> float:
        """Points earned: the cell's points times the share of requirements met."""
        total = sum(w for _, w, _ in self.parts)
        if total <= 0:
            return 0.0
        met = sum(w for _, w, failure in self.parts if failure is None)
        return round(self.points * met / total, 4)

    def report(self) -> str:
        """One line per requirement: ``[ok]`` or ``[failed]``, its name, and the message."""
        lines = []
        for name, _, failure in self.parts:
            lines.append(f"[ok] {name}" if failure is None else f"[failed] {name}: {failure}")
        return "\n".join(lines)

    def result(self) -> float | None:
        """Finish the cell (see the class doc)."""
        failed = self.failures()
        if _CONTEXT.trusted:
            if failed:
                print(self.report())
            return self.earned()
        if failed:
            lines = [f"{len(failed)} of {len(self.parts)} requirements failed "
                     f"({self.earned():g} of {self.points:g} points):"]
            lines += [f"- {name}: {message}" for name, message in failed]
            raise AssertionError("\n".join(lines))
        return None
