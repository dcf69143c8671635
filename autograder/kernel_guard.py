"""The integrity guard that runs inside a grading kernel (see :mod:`autograder.sandbox`).

This file is read as text and executed in the kernel in a namespace of its own, before any
student code runs (importing it as a module would let student code patch it). It records a
baseline of the libraries test cells rely on, and then, around every graded test cell:

* ``check()`` compares every watched module's attributes with the baseline (object identity,
  and for functions their ``__code__``, defaults and, for classes, their ``__dict__``), puts
  back what was replaced, and reports it;
* ``sys.modules`` entries of watched modules must still be the original modules;
* modules first imported later (``course_lib.reference`` pulls in torch) are compared with
  fingerprints computed by the grader in a separate, clean interpreter;
* names a test cell binds by import must still point at the library's objects after it ran
  (student code called from the test cannot rebind ``check_close`` mid-cell);
* user-namespace names that shadow a builtin the test cell uses are hidden while it runs.

The guard answers with an HMAC over the grader's nonce, keyed with a secret the grader sent at
start-up, so that replacing the guard object is noticed. Student code shares the process, so
a determined student can still reach into the interpreter (see the README's threat model).

The same file, imported normally, computes the grader-side fingerprints
(``python -m autograder.kernel_guard`` prints them as JSON).
"""

import builtins as _builtins_module
import hashlib as _hashlib_module
import sys as _sys_module
import types as _types_module

#: Top-level packages whose modules are watched (every loaded submodule is included).
WATCHED_ROOTS = ("builtins", "numpy", "course_lib", "math", "numbers", "operator", "functools")
#: Modules imported at kernel start so that their baseline is taken before student code.
PRELOAD = ("numpy", "numpy.linalg", "numpy.random", "course_lib", "course_lib.grading",
           "course_lib.gradcheck", "course_lib.engine", "course_lib.engine.functional",
           "course_lib.engine.nn", "course_lib.engine.losses", "course_lib.engine.init",
           "course_lib.engine.optim", "course_lib.engine.schedules", "course_lib.autograd")
_SIMPLE = (bool, int, float, complex, str, bytes, type(None))


def _watched(name):
    return any(name == r or name.startswith(r + ".") for r in WATCHED_ROOTS)


def _const_text(value, sha):
    if isinstance(value, _types_module.CodeType):
        return "code:" + _code_digest(value, sha)
    if isinstance(value, (tuple, list)):
        return "(" + ",".join(_const_text(v, sha) for v in value) + ")"
    if isinstance(value, frozenset):
        return "{" + ",".join(sorted(_const_text(v, sha) for v in value)) + "}"
    if isinstance(value, _SIMPLE):
        return repr(value)
    return type(value).__name__


def _code_digest(code, sha=_hashlib_module.sha256):
    h = sha()
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    h.update(_const_text(code.co_consts, sha).encode())
    return h.hexdigest()[:24]


def _value_text(value):
    if isinstance(value, _SIMPLE):
        return repr(value)
    return "<" + type(value).__name__ + ">"


def fingerprint(obj):
    """A text that changes when ``obj`` (a module attribute) is replaced or re-coded."""
    if isinstance(obj, _SIMPLE):
        return "v:" + repr(obj)
    if isinstance(obj, _types_module.ModuleType):
        return "m:" + obj.__name__
    code = getattr(obj, "__code__", None)
    if isinstance(code, _types_module.CodeType):
        defaults = getattr(obj, "__defaults__", None) or ()
        kwdefaults = getattr(obj, "__kwdefaults__", None) or {}
        return ("f:" + str(getattr(obj, "__qualname__", "")) + ":" + _code_digest(code) + ":"
                + ",".join(_value_text(d) for d in defaults) + ":"
                + ",".join(f"{k}={_value_text(v)}" for k, v in sorted(kwdefaults.items())))
    if isinstance(obj, type):
        parts = []
        for key, value in sorted(vars(obj).items()):
            inner = value
            if isinstance(value, (staticmethod, classmethod)):
                inner = value.__func__
            elif isinstance(value, property):
                inner = value.fget
            if isinstance(getattr(inner, "__code__", None), _types_module.CodeType):
                parts.append(key + "=" + _code_digest(inner.__code__))
        return "c:" + obj.__module__ + "." + obj.__qualname__ + ":" + ";".join(parts)
    return ("o:" + type(obj).__module__ + "." + type(obj).__qualname__ + ":"
            + str(getattr(obj, "__name__", "")))


#: Attributes that change on their own: ipykernel swaps ``input`` at every execution, IPython
#: keeps the last results in ``_`` and adds ``get_ipython``/``exit``/``quit`` while it runs.
_VOLATILE = frozenset({"input", "raw_input", "_", "__", "___", "get_ipython", "exit", "quit",
                       "display"})


def _interesting(name, value):
    """Attributes worth watching: callables, classes, modules and UPPER_CASE constants."""
    if (name.startswith("__") and name.endswith("__")) or name in _VOLATILE:
        return False
    if isinstance(value, _SIMPLE):
        return name.isupper()
    return callable(value) or isinstance(value, _types_module.ModuleType)


def module_fingerprints(module):
    return {k: fingerprint(v) for k, v in list(vars(module).items()) if _interesting(k, v)}


def expected_fingerprints(packages=("course_lib",)):
    """Fingerprints of every module of ``packages``, imported here (a clean interpreter)."""
    import importlib
    import pkgutil

    for package in packages:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            try:
                importlib.import_module(info.name)
            except Exception:  # an optional dependency missing: not watched then
                continue
    def own(value):  # defined in these packages (what else a module imports may vary)
        where = getattr(value, "__module__", None) or ""
        return isinstance(value, _SIMPLE) or any(
            where == p or where.startswith(p + ".") for p in packages)

    return {
        name: {k: fp for k, fp in module_fingerprints(mod).items() if own(vars(mod)[k])}
        for name, mod in sorted(_sys_module.modules.items())
        if mod is not None and any(name == p or name.startswith(p + ".") for p in packages)
    }


def _is_method(value):
    """A class member that holds code (its data members may change legitimately)."""
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    elif isinstance(value, property):
        value = value.fget
    return isinstance(getattr(value, "__code__", None), _types_module.CodeType)


def _snapshot(value):
    """What identity checks compare: the object and, for functions/classes, their insides
    (classes of watched modules only: their methods)."""
    code = getattr(value, "__code__", None)
    if isinstance(code, _types_module.CodeType):
        return (value, code, getattr(value, "__defaults__", None),
                dict(getattr(value, "__kwdefaults__", None) or {}))
    if isinstance(value, type) and _watched(getattr(value, "__module__", "") or ""):
        return (value, {k: v for k, v in vars(value).items() if _is_method(v)})
    return (value,)


def _same(snap, value):
    if value is not snap[0]:
        return False
    if len(snap) == 4:
        return (value.__code__ is snap[1] and value.__defaults__ is snap[2]
                and dict(value.__kwdefaults__ or {}) == snap[3])
    if len(snap) == 2:
        current = vars(value)
        return all(current.get(k) is v for k, v in snap[1].items()) and not any(
            k not in snap[1] and _is_method(v) for k, v in current.items())
    return True


def _restore(name, snap, module):
    value = snap[0]
    if len(snap) == 4:
        value.__code__, value.__defaults__ = snap[1], snap[2]
        value.__kwdefaults__ = dict(snap[3]) or None
    elif len(snap) == 2:
        for key in [k for k, v in vars(value).items() if k not in snap[1] and _is_method(v)]:
            try:
                delattr(value, key)
            except (AttributeError, TypeError):
                pass
        for key, item in snap[1].items():
            if vars(value).get(key) is not item:
                try:
                    setattr(value, key, item)
                except (AttributeError, TypeError):
                    pass
    setattr(module, name, value)


def install(secret, expected, shell):
    """Take the baseline and return the guard object (called once, before student code)."""
    import ast
    import hmac
    import importlib

    sys, hashlib, compare_digest = _sys_module, _hashlib_module, hmac.compare_digest
    hmac_new, builtins = hmac.new, _builtins_module
    del compare_digest
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    baseline = {}  # module name -> (module, {attr: snapshot})

    def take(name, module):
        baseline[name] = (module, {
            k: _snapshot(v) for k, v in list(vars(module).items()) if _interesting(k, v)})

    for name, module in list(sys.modules.items()):
        if module is not None and _watched(name):
            take(name, module)

    state = {"hidden": {}, "bound": {}, "loaded": {}}

    def sign(nonce, text):
        return hmac_new(secret, (nonce + "\n" + text).encode(), hashlib.sha256).hexdigest()

    def scan_modules():
        problems = []
        for name, (module, snaps) in list(baseline.items()):
            current = sys.modules.get(name)
            if current is not module:
                problems.append(f"sys.modules[{name!r}] was replaced")
                sys.modules[name] = module
            for attr, snap in snaps.items():
                value = vars(module).get(attr, _restore)
                if value is _restore or not _same(snap, value):
                    problems.append(f"{name}.{attr} was replaced" if value is not _restore
                                    else f"{name}.{attr} was deleted")
                    try:
                        _restore(attr, snap, module)
                    except Exception:
                        problems.append(f"{name}.{attr} could not be restored")
        for name, module in list(sys.modules.items()):
            if module is None or name in baseline or not _watched(name):
                continue
            want = expected.get(name)
            if want is not None:
                have = module_fingerprints(module)
                changed = sorted(k for k, fp in want.items() if have.get(k) != fp)
                if changed:
                    problems += [f"{name}.{k} differs from the course's code" for k in changed]
                    continue  # not baselined: reported again at every check
            take(name, module)
        return problems

    def names_of(source):
        """(loaded names, names bound by import -> (module, attr or None)) of a test cell."""
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return set(), {}
        loaded, stored, imports = set(), set(), {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                stored.add(node.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imports[alias.asname] = (alias.name, None)
                    else:
                        top = alias.name.split(".")[0]
                        imports[top] = (top, None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    imports[alias.asname or alias.name] = (node.module, alias.name)
        return loaded - stored - set(imports), imports

    def before(nonce, source):
        """Called before a graded cell: verify and restore; hide shadowed builtins."""
        problems = scan_modules()
        user = shell.user_ns
        loaded, imports = names_of(source)
        hidden = {}
        for name in sorted(loaded):
            if name in user and hasattr(builtins, name) and user[name] is not getattr(
                    builtins, name):
                hidden[name] = user.pop(name)
        state["hidden"], state["bound"] = hidden, imports
        state["loaded"] = {n: user[n] for n in loaded if n in user}
        text = "\n".join(problems)
        notes = "\n".join(f"shadowed builtin {n} hidden during the test" for n in hidden)
        return [text, notes, sign(nonce, text)]

    def after(nonce):
        """Called after a graded cell: what changed while it ran (tampering from inside)."""
        problems = scan_modules()
        user = shell.user_ns
        for name, (module_name, attr) in state["bound"].items():
            if name not in user:
                continue
            module = sys.modules.get(module_name)
            if module is None:
                continue
            want = module if attr is None else vars(module).get(attr, None)
            if attr is not None and want is None:
                continue  # a submodule imported with from-import: not checked
            if user[name] is not want:
                problems.append(f"{name} was rebound while the test ran")
        for name, value in state["loaded"].items():
            if user.get(name, value) is not value and (
                    isinstance(value, _types_module.ModuleType)
                    or _watched(getattr(value, "__module__", "") or "")):
                problems.append(f"{name} was rebound while the test ran")
        for name, value in state["hidden"].items():
            user.setdefault(name, value)
        state["hidden"], state["bound"], state["loaded"] = {}, {}, {}
        text = "\n".join(problems)
        return [text, sign(nonce, text)]

    return _types_module.SimpleNamespace(before=before, after=after)


if __name__ == "__main__":
    import json

    json.dump(expected_fingerprints(), _sys_module.stdout)
