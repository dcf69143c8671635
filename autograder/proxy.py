"""The grader's end of a trusted test cell: the student's names as proxies into the kernel.

A :class:`KernelSession` talks to :mod:`autograder.kernel_agent` in the sandboxed kernel over
a Unix socket, in the format of :mod:`autograder.wire`. A test cell runs in the grader with
the notebook's names bound to what the session brings back: data (arrays, numbers, strings,
containers, tensors) as values, anything else as a :class:`Remote` handle whose calls,
attributes, items and arithmetic operators are requests to the kernel. Comparisons and truth
of a handle are never asked of the kernel (an object whose ``__eq__`` always says True would
pass any check): ``==`` is identity and ``bool()`` raises. A function the test passes to
the student's code is a callback: the kernel calls it back here. An exception raised by the
student's code is raised here as the same built-in type (or :class:`StudentError`), with
the student's function and line in the message.
"""

from __future__ import annotations

import builtins
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

from autograder.wire import Decoder, Encoder, WireError, receive, send

#: Exception types the student's code may raise that a test may want to catch as such.
_RAISABLE = {
    name: getattr(builtins, name)
    for name in ("ValueError", "TypeError", "IndexError", "KeyError", "AssertionError",
                 "NotImplementedError", "ZeroDivisionError", "AttributeError", "RuntimeError",
                 "ArithmeticError", "OverflowError", "FloatingPointError", "LookupError",
                 "NameError", "UnboundLocalError", "RecursionError", "StopIteration",
                 "MemoryError")
}


class StudentError(Exception):
    """The student's code raised an exception that is not a plain built-in one."""


class KernelLost(BaseException):
    """The kernel died, stopped answering or broke the protocol during a test cell.

    A ``BaseException``: a test's ``except Exception`` (as in :class:`course_lib.grading.Score`)
    must not swallow it, since no later request of the cell can be answered.
    """


class CallTimeout(KernelLost):
    """A call into the kernel ran past the cell's time limit."""


class ProtocolError(KernelLost):
    """The kernel answered with something the protocol does not allow."""


class Remote:
    """An object that lives in the grading kernel (a student's function, model, ...)."""

    __slots__ = ("_r_session", "_r_id", "_r_type", "_r_callable")

    def __init__(self, session: KernelSession, hid: int, type_name: str, is_callable: bool):
        object.__setattr__(self, "_r_session", session)
        object.__setattr__(self, "_r_id", hid)
        object.__setattr__(self, "_r_type", type_name)
        object.__setattr__(self, "_r_callable", is_callable)

    def _r(self, op: str, **fields: Any) -> Any:
        return self._r_session.request(op, target=self._r_id, **fields)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._r_session.call(self, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._r("getattr", name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._r("setattr", name=name, value=value)

    def __getitem__(self, key: Any) -> Any:
        return self._r("getitem", key=key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._r("setitem", key=key, value=value)

    def __len__(self) -> int:
        return int(self._r("builtin", name="len"))

    def __iter__(self) -> Iterator[Any]:
        return iter(self._r("iter"))

    def __bool__(self) -> bool:
        # a kernel object's truth and comparisons would be the student's to decide
        raise TypeError(f"a {self._r_type} from the student's kernel has no truth value in a "
                        "test: compare data it returns (an array, a number)")

    def __float__(self) -> float:
        return float(self._r("builtin", name="float"))

    def __int__(self) -> int:
        return int(self._r("builtin", name="int"))

    def __repr__(self) -> str:
        try:
            text = self._r("builtin", name="repr")
        except Exception:  # a broken __repr__ in the kernel must not break a message
            text = None
        if isinstance(text, str):
            return text[:300]
        return f"<{self._r_type} in the student's kernel>"

    __str__ = __repr__

    def __contains__(self, item: Any) -> bool:
        return bool(self._r_session.request("operator", name="contains", args=[self, item]))

    def __eq__(self, other: object) -> bool:  # identity: the kernel's __eq__ is not asked
        return self is other

    def __hash__(self) -> int:
        return hash((id(self._r_session), self._r_id))


def _binary(name: str, reflected: bool = False) -> Callable[[Remote, Any], Any]:
    def method(self: Remote, other: Any) -> Any:
        args = [other, self] if reflected else [self, other]
        return self._r_session.request("operator", name=name, args=args)

    return method


def _unary(name: str) -> Callable[[Remote], Any]:
    def method(self: Remote) -> Any:
        return self._r_session.request("operator", name=name, args=[self])

    return method


for _name, _op in [("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "truediv"),
                   ("floordiv", "floordiv"), ("mod", "mod"), ("pow", "pow"),
                   ("matmul", "matmul"), ("and", "and_"), ("or", "or_"), ("xor", "xor")]:
    setattr(Remote, f"__{_name}__", _binary(_op))
    setattr(Remote, f"__r{_name}__", _binary(_op, reflected=True))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(Remote, f"__{_name}__", _unary(_name))


def remote_type(value: Any) -> str:
    """The class name of a kernel object (``"ResidualBlock"``), or of a local value."""
    if isinstance(value, Remote):
        return value._r_type
    return type(value).__qualname__


class KernelSession:
    """One test cell's conversation with the kernel agent (see the module doc).

    Args:
        sock: the connected socket.
        deadline: ``time.monotonic()`` value after which a request fails with
            :class:`CallTimeout` (the cell's time limit).
    """

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock = sock
        self.deadline = deadline
        self.callbacks: dict[int, Callable[..., Any]] = {}
        self.remotes: dict[int, Remote] = {}
        self.module_names: dict[int, str] = {}

    # --- encoding ------------------------------------------------------------------------------

    def _handle_of(self, obj: Any) -> dict:
        if isinstance(obj, Remote):
            if obj._r_session is not self:
                raise TypeError("a handle from an earlier test cell cannot be used again")
            return {"__handle__": obj._r_id}
        if callable(obj) and not isinstance(obj, type):
            cid = len(self.callbacks) + 1
            self.callbacks[cid] = obj
            return {"__callback__": cid}
        raise TypeError(f"cannot send a {type(obj).__qualname__} to the student's kernel "
                        "(only data, functions of the test and the kernel's own objects)")

    def _resolve(self, data: dict) -> Any:
        if "__handle__" not in data:
            raise WireError("the kernel sent a callback")
        hid = data["__handle__"]
        if not isinstance(hid, int):
            raise WireError("bad handle")
        remote = self.remotes.get(hid)
        if remote is None:
            remote = Remote(self, hid, str(data.get("type", "object"))[:200],
                            bool(data.get("callable")))
            self.remotes[hid] = remote
            if "module" in data:
                self.module_names[hid] = str(data["module"])[:200]
        return remote

    # --- requests ------------------------------------------------------------------------------

    def _send(self, header: dict, values: dict[str, Any]) -> None:
        encoder = Encoder(self._handle_of)
        for key, value in values.items():
            header[key] = encoder.encode(value)
        self._io(send, self.sock, header, encoder.buffers)

    def _io(self, fn: Callable[..., Any], *args: Any) -> Any:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise CallTimeout("the cell ran past its time limit")
        self.sock.settimeout(left)
        try:
            return fn(*args)
        except TimeoutError:
            raise CallTimeout("the cell ran past its time limit while the student's code "
                              "was running") from None
        except (EOFError, OSError) as err:
            raise KernelLost(f"the kernel stopped answering ({err})") from None
        except WireError as err:
            raise ProtocolError(f"the kernel broke the protocol ({err})") from None

    def _answer(self) -> tuple[dict, Decoder]:
        """Read until the reply to the last request, serving callbacks meanwhile."""
        while True:
            header, buffers = self._io(receive, self.sock)
            decoder = Decoder(buffers, self._resolve)
            op = header.get("op")
            if op in ("reply", "error"):
                return header, decoder
            if op != "callback":
                raise ProtocolError(f"the kernel sent an unexpected message {op!r}")
            self._serve_callback(header, decoder)

    def _serve_callback(self, header: dict, decoder: Decoder) -> None:
        fn = self.callbacks.get(header.get("id"))
        try:
            args = self._decode(decoder, header.get("args"))
            kwargs = self._decode(decoder, header.get("kwargs"))
            if fn is None or not isinstance(args, list) or not isinstance(kwargs, dict):
                raise ProtocolError("the kernel called back an unknown function")
            value = fn(*args, **{str(k): v for k, v in kwargs.items()})
        except Exception as err:  # the test's own function failed: tell the kernel
            self._io(send, self.sock, {"op": "raise", "message": f"{type(err).__name__}: {err}"})
            raise
        self._send({"op": "return"}, {"value": value})

    def _decode(self, decoder: Decoder, data: Any) -> Any:
        try:
            return decoder.decode(data)
        except WireError as err:
            raise ProtocolError(f"the kernel broke the protocol ({err})") from None

    def _result(self, header: dict, decoder: Decoder) -> Any:
        if header.get("op") == "error":
            raise _student_exception(header)
        return self._decode(decoder, header.get("value"))

    def request(self, op: str, **fields: Any) -> Any:
        """Send one request; return the decoded reply value (or raise the student's error)."""
        plain = {k: v for k, v in fields.items() if k in ("target", "name")}
        values = {k: v for k, v in fields.items() if k not in plain}
        self._send({"op": op, **plain}, values)
        return self._result(*self._answer())

    def call(self, target: Remote, args: tuple, kwargs: dict) -> Any:
        """Call a kernel function; what it changed in our arguments in place is applied."""
        self._send({"op": "call", "target": target._r_id},
                   {"args": list(args), "kwargs": dict(kwargs)})
        header, decoder = self._answer()
        value = self._result(header, decoder)
        after = self._decode(decoder, header.get("after"))
        if isinstance(after, list) and len(after) == 2:
            write_back(list(args), after[0])
            write_back(kwargs, after[1])
        return value

    def names(self, wanted: list[str]) -> dict[str, Any]:
        """The kernel's values of the notebook names ``wanted`` (absent names left out)."""
        values = self.request("names", names=wanted)
        if not isinstance(values, dict):
            raise ProtocolError("the kernel answered the names request with something else")
        return {str(k): v for k, v in values.items() if k in wanted}

    def kernel_import(self, path: str) -> Any:
        """A kernel-side object by import path, ``"module.sub:Class.attr"``."""
        return self.request("import", path=path)

    def end(self) -> None:
        """Let the kernel's serving loop return."""
        self._io(send, self.sock, {"op": "end"})


def write_back(mine: Any, theirs: Any, depth: int = 0) -> None:
    """Make ``mine`` (an argument of a call) what the call left in ``theirs``, in place.

    Arrays and tensors of the same shape are overwritten, dicts and lists take the kernel's
    entries (their arrays updated in place, so that the test's references stay valid);
    handles and callbacks never replace the grader's values.
    """
    import numpy as np

    if depth > 32:
        return
    if isinstance(mine, np.ndarray):
        if isinstance(theirs, np.ndarray) and theirs.shape == mine.shape and \
                mine.flags.writeable:
            np.copyto(mine, theirs.astype(mine.dtype, copy=False), casting="unsafe")
        return
    if hasattr(mine, "copy_") and hasattr(mine, "detach"):  # a torch tensor
        if hasattr(theirs, "shape") and tuple(theirs.shape) == tuple(mine.shape):
            import torch

            with torch.no_grad():
                mine.copy_(torch.as_tensor(np.asarray(theirs)))
        return
    containers = (dict, list, tuple, np.ndarray)
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in [k for k in mine if k not in theirs]:
            del mine[key]
        for key, value in theirs.items():
            if isinstance(value, Remote):
                continue
            if key in mine and isinstance(mine[key], containers) or \
                    key in mine and hasattr(mine[key], "copy_"):
                before = mine[key]
                write_back(before, value, depth + 1)
                if not _same_kind(before, value):
                    mine[key] = value
            else:
                mine[key] = value
    elif isinstance(mine, (list, tuple)) and isinstance(theirs, (list, tuple)):
        if isinstance(mine, list) and len(mine) != len(theirs):
            mine[:] = [v for v in theirs if not isinstance(v, Remote)]
            return
        for i, (a, b) in enumerate(zip(mine, theirs, strict=False)):
            if isinstance(a, containers) or hasattr(a, "copy_"):
                write_back(a, b, depth + 1)
                if isinstance(mine, list) and not _same_kind(a, b):
                    mine[i] = b
            elif isinstance(mine, list) and not isinstance(b, Remote):
                mine[i] = b


def _same_kind(a: Any, b: Any) -> bool:
    """Whether ``b`` could be written into ``a`` in place (same container, same shape)."""
    if hasattr(a, "shape") and hasattr(b, "shape"):
        return type(a) is type(b) and tuple(a.shape) == tuple(b.shape)
    return isinstance(a, (dict, list)) and type(a) is type(b)


def _student_exception(header: dict) -> Exception:
    kind = str(header.get("type", "Exception"))[:100]
    message = str(header.get("message", ""))[:4000]
    where = str(header.get("where", ""))[:200]
    text = message + (f" (raised in {where})" if where else "")
    cls = _RAISABLE.get(kind)
    if cls is not None:
        return cls(text)
    return StudentError(f"{kind}: {text}")
