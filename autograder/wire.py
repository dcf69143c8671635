"""The data format between the grader and a grading kernel: values only, no code.

What crosses: ``None``, bools, ints, floats (NaN and inf included), strings, lists, tuples,
dicts (hashable data keys), NumPy arrays and scalars of numeric or boolean dtype, and torch
tensors (sent as their data, detached). Everything else stays where it is and crosses as a
*handle* ``{"__handle__": id, "type": name, "callable": bool}`` (an object in the kernel) or a
*callback* ``{"__callback__": id}`` (a function of the grader's). Reading a message never runs
code and never builds an object of a type the message names: arrays are rebuilt with
``np.frombuffer`` from raw bytes, with the dtype checked against :data:`ARRAY_KINDS`.

A frame on the socket is::

    8 bytes: length of the header (big-endian)   header: UTF-8 JSON
    8 bytes: number of buffers                   then per buffer: 8 bytes length, the bytes

This file has no imports outside the standard library and NumPy (torch is optional): the
grader sends its text into the kernel, so both ends speak the same format from one source.
"""

import json
import struct

import numpy as np

#: NumPy dtype kinds that may cross (bool, signed, unsigned, float, complex).
ARRAY_KINDS = "biufc"
#: Largest frame either side accepts (bytes).
MAX_FRAME = 128 * 1024**2
_LEN = struct.Struct(">Q")


class WireError(Exception):
    """A frame that breaks the format (the other end is broken or hostile)."""


def _torch():
    import sys

    return sys.modules.get("torch")


class Encoder:
    """Turns a value into JSON-able data plus raw buffers.

    Args:
        handle_of: called with an object that is not data; returns its handle dict (the
            kernel keeps the object) or raises ``TypeError`` (the grader cannot send it).
    """

    def __init__(self, handle_of):
        self.handle_of = handle_of
        self.buffers = []

    def _array(self, array, tag):
        array = np.asarray(array)
        if not array.flags.c_contiguous:  # (np.ascontiguousarray would make 0-d arrays 1-d)
            array = array.copy(order="C")
        if array.dtype.kind not in ARRAY_KINDS:
            return None
        self.buffers.append(array.tobytes())
        return {tag: len(self.buffers) - 1, "dtype": array.dtype.str, "shape": list(array.shape)}

    def encode(self, value, depth=0):
        if depth > 64:
            raise TypeError("value nested more than 64 levels deep")
        if value is None or type(value) in (bool, str, float):
            return value
        if type(value) is int:
            return value if abs(value) < 2**63 else {"__bigint__": str(value)}
        if isinstance(value, (np.ndarray, np.generic)):
            scalar = isinstance(value, np.generic)
            encoded = self._array(np.asarray(value), "__nd__")
            if encoded is not None:
                if scalar:
                    encoded["scalar"] = True
                return encoded
            return self.handle_of(value)
        torch = _torch()
        if torch is not None and isinstance(value, torch.Tensor):
            data = value.detach().cpu()
            if data.dtype == torch.bfloat16:
                data = data.float()
            encoded = self._array(data.numpy(), "__tensor__")
            if encoded is not None:
                return encoded
            return self.handle_of(value)
        if type(value) is list:
            return [self.encode(v, depth + 1) for v in value]
        if type(value) is tuple:
            return {"__tuple__": [self.encode(v, depth + 1) for v in value]}
        if type(value) is dict:
            return {"__dict__": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                                 for k, v in value.items()]}
        return self.handle_of(value)


class Decoder:
    """Turns JSON data plus buffers back into values.

    Args:
        buffers: the frame's raw buffers.
        resolve: called with a ``{"__handle__": ...}`` or ``{"__callback__": ...}`` dict;
            returns the object it stands for on this side.
    """

    def __init__(self, buffers, resolve):
        self.buffers = buffers
        self.resolve = resolve

    def _array(self, data, index):
        if not isinstance(index, int) or not 0 <= index < len(self.buffers):
            raise WireError(f"array refers to buffer {index!r} of {len(self.buffers)}")
        dtype = np.dtype(str(data.get("dtype")))
        if dtype.kind not in ARRAY_KINDS or dtype.hasobject or dtype.fields:
            raise WireError(f"array dtype {dtype} may not cross")
        shape = data.get("shape")
        if not isinstance(shape, list) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise WireError(f"bad array shape {shape!r}")
        count = 1
        for n in shape:
            count *= n
        raw = self.buffers[index]
        if len(raw) != count * dtype.itemsize:
            raise WireError(f"array of shape {shape} and dtype {dtype} needs "
                            f"{count * dtype.itemsize} bytes, got {len(raw)}")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()

    def decode(self, data, depth=0):
        if depth > 64:
            raise WireError("value nested more than 64 levels deep")
        if data is None or isinstance(data, (bool, int, float, str)):
            return data
        if isinstance(data, list):
            return [self.decode(v, depth + 1) for v in data]
        if not isinstance(data, dict):
            raise WireError(f"unexpected {type(data).__name__} in a message")
        if "__nd__" in data:
            array = self._array(data, data["__nd__"])
            return array[()] if data.get("scalar") else array
        if "__tensor__" in data:
            array = self._array(data, data["__tensor__"])
            torch = _torch()
            return torch.from_numpy(array) if torch is not None else array
        if "__tuple__" in data:
            items = data["__tuple__"]
            if not isinstance(items, list):
                raise WireError("bad tuple")
            return tuple(self.decode(v, depth + 1) for v in items)
        if "__dict__" in data:
            pairs = data["__dict__"]
            if not isinstance(pairs, list) or not all(
                    isinstance(p, list) and len(p) == 2 for p in pairs):
                raise WireError("bad dict")
            out = {}
            for k, v in pairs:
                key = self.decode(k, depth + 1)
                try:
                    out[key] = self.decode(v, depth + 1)
                except TypeError as err:  # an unhashable key
                    raise WireError(f"bad dict key: {err}") from None
            return out
        if "__bigint__" in data:
            text = data["__bigint__"]
            if not isinstance(text, str) or len(text) > 4000:
                raise WireError("bad integer")
            return int(text)
        if "__handle__" in data or "__callback__" in data:
            return self.resolve(data)
        raise WireError(f"unknown value {sorted(data)[:3]}")


def send(sock, header, buffers=()):
    """Write one frame: the JSON ``header`` and raw ``buffers``."""
    head = json.dumps(header).encode()
    parts = [_LEN.pack(len(head)), head, _LEN.pack(len(buffers))]
    for buf in buffers:
        parts.append(_LEN.pack(len(buf)))
        parts.append(buf)
    sock.sendall(b"".join(parts))


def _read_exact(sock, n, budget):
    if n > budget[0]:
        raise WireError(f"frame larger than {MAX_FRAME} bytes")
    budget[0] -= n
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive(sock):
    """Read one frame: ``(header dict, list of buffers)``.

    Raises:
        EOFError: the connection closed. WireError: the frame breaks the format.
        socket.timeout: the socket's timeout passed.
    """
    budget = [MAX_FRAME]
    (size,) = _LEN.unpack(_read_exact(sock, 8, budget))
    try:
        header = json.loads(_read_exact(sock, size, budget).decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WireError(f"header is not JSON: {err}") from None
    if not isinstance(header, dict):
        raise WireError("header is not an object")
    (count,) = _LEN.unpack(_read_exact(sock, 8, budget))
    if count > 100_000:
        raise WireError(f"{count} buffers")
    buffers = []
    for _ in range(count):
        (n,) = _LEN.unpack(_read_exact(sock, 8, budget))
        buffers.append(_read_exact(sock, n, budget))
    return header, buffers


__all__ = ["ARRAY_KINDS", "Decoder", "Encoder", "WireError", "receive", "send"]
