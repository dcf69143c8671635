"""The grading kernel's end of a trusted test cell (runs inside the sandboxed kernel).

The grader sends this file's text, after the text of :mod:`autograder.wire`, into the kernel
once it has started; nothing here is imported by the grader. While the grader runs a test
cell in its own process, the kernel runs :func:`serve`: it connects to the grader's socket
and answers requests on the student's names until the grader says ``end``:

``names``     the values of notebook names (data, or a handle for anything else)
``call``      call a handle: ``f(*args, **kwargs)``; the arguments come back too, as the
              call left them, so that the grader can apply what it changed in place
``getattr`` / ``setattr`` / ``getitem`` / ``setitem`` / ``len`` / ``iter`` / ``operator`` /
``builtin``   the rest of what a test does with an object
``import``    a kernel-side object by its import path (a library class to hand a student)

While a call runs, the student's code may call back a function the grader passed in
(``{"__callback__": id}``): the kernel sends ``callback`` and serves the grader's nested
requests until the ``return`` or ``raise`` that answers it.

Everything here is in the student's reach and trusts nothing: a student who rewrites it only
changes what their own functions appear to return, which is what the tests judge anyway.
"""

import importlib as _importlib
import operator as _operator
import sys as _sys
import traceback as _traceback

_OPERATORS = {
    name: getattr(_operator, name)
    for name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "neg",
                 "pos", "abs", "lt", "le", "gt", "ge", "eq", "ne", "contains", "invert",
                 "and_", "or_", "xor")
}
_BUILTINS = {"repr": repr, "float": float, "int": int, "len": len}


class _Agent:
    def __init__(self, user_ns):
        self.user_ns = user_ns
        self.objects = {}
        self.ids = {}
        self.sock = None

    # --- handles -----------------------------------------------------------------------------

    def handle_of(self, obj):
        key = id(obj)
        hid = self.ids.get(key)
        if hid is None or self.objects.get(hid) is not obj:
            hid = len(self.objects) + 1
            self.objects[hid] = obj
            self.ids[key] = hid
        handle = {"__handle__": hid, "type": type(obj).__qualname__, "callable": callable(obj)}
        if type(obj).__name__ == "module":
            handle["module"] = getattr(obj, "__name__", "")
        return handle

    def resolve(self, data):
        if "__handle__" in data:
            return self.objects[data["__handle__"]]
        callback = data["__callback__"]

        def call_grader(*args, **kwargs):
            return self.callback(callback, args, kwargs)

        call_grader.__name__ = f"grader_function_{callback}"
        return call_grader

    # --- messages ----------------------------------------------------------------------------

    def send_value(self, value, extra=None):
        encoder = Encoder(self.handle_of)  # noqa: F821 (from the wire text sent before)
        header = {"op": "reply", "value": encoder.encode(value)}
        header.update(extra(encoder) if extra else {})
        send(self.sock, header, encoder.buffers)  # noqa: F821

    def send_error(self, err):
        frames = [f for f in _traceback.extract_tb(err.__traceback__)
                  if not f.filename.startswith("<autograder")]
        where = ""
        if frames:
            last = frames[-1]
            where = f"{last.name}, line {last.lineno}"
        send(self.sock, {"op": "error", "type": type(err).__name__,  # noqa: F821
                         "message": str(err)[:4000], "where": where})

    def callback(self, callback, args, kwargs):
        encoder = Encoder(self.handle_of)  # noqa: F821
        header = {"op": "callback", "id": callback, "args": encoder.encode(list(args)),
                  "kwargs": encoder.encode(dict(kwargs))}
        send(self.sock, header, encoder.buffers)  # noqa: F821
        return self.serve_until({"return", "raise"})

    def serve_until(self, stops):
        while True:
            header, buffers = receive(self.sock)  # noqa: F821
            op = header.get("op")
            decoder = Decoder(buffers, self.resolve)  # noqa: F821
            if op in stops:
                if op == "return":
                    return decoder.decode(header.get("value"))
                if op == "raise":
                    raise RuntimeError(f"the grader's function raised: {header.get('message')}")
                return None
            try:
                self.dispatch(op, header, decoder)
            except Exception as err:  # the student's code raised: the test sees it
                self.send_error(err)

    def dispatch(self, op, header, decoder):
        arg = decoder.decode
        if op == "names":
            values = {}
            for name in header["names"]:
                if name in self.user_ns:
                    values[name] = self.user_ns[name]
            self.send_value(values)
            return
        if op == "import":
            path = header["path"]
            module_name, _, attrs = path.partition(":")
            obj = _importlib.import_module(module_name)
            for part in filter(None, attrs.split(".")):
                obj = getattr(obj, part)
            self.send_value(obj)
            return
        target = self.objects[header["target"]] if "target" in header else None
        if op == "call":
            args, kwargs = arg(header["args"]), arg(header["kwargs"])
            value = target(*args, **kwargs)

            def arguments_after(encoder):
                return {"after": encoder.encode([list(args), dict(kwargs)])}

            self.send_value(value, arguments_after)
        elif op == "getattr":
            self.send_value(getattr(target, header["name"]))
        elif op == "setattr":
            setattr(target, header["name"], arg(header["value"]))
            self.send_value(None)
        elif op == "getitem":
            self.send_value(target[arg(header["key"])])
        elif op == "setitem":
            target[arg(header["key"])] = arg(header["value"])
            self.send_value(None)
        elif op == "iter":
            self.send_value(list(target))
        elif op == "operator":
            self.send_value(_OPERATORS[header["name"]](*arg(header["args"])))
        elif op == "builtin":
            self.send_value(_BUILTINS[header["name"]](target))
        else:
            raise ValueError(f"unknown request {op!r}")


_AGENT = None


def serve(path):
    """Answer the grader's requests on the socket at ``path`` until it sends ``end``."""
    import socket as _socket

    global _AGENT
    if _AGENT is None:
        _AGENT = _Agent(get_ipython().user_ns)  # noqa: F821 (IPython's builtin)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    sock.connect(path)
    _AGENT.sock = sock
    try:
        _AGENT.serve_until({"end"})
    finally:
        sock.close()
        _AGENT.sock = None


_sys.modules["_autograder_agent"] = _sys.modules.get("_autograder_agent") or type(_sys)(
    "_autograder_agent")
_sys.modules["_autograder_agent"].serve = serve
