"""Framing for the training worker's pipes: a JSON header, then raw array bytes.

A message is a plain-JSON header plus named float/int numpy arrays. Nested dicts
of arrays (a fitted model) are flattened to "a/b/c" names on the way out and
rebuilt on the way in. Only numbers and JSON cross the pipe, never objects.
"""
from __future__ import annotations

import json
import struct

import numpy as np

_LEN = struct.Struct("<Q")
DTYPES = {"f8": np.float64, "f4": np.float32, "i8": np.int64, "i4": np.int32, "u1": np.uint8, "b1": np.bool_}


def flatten(tree, prefix=""):
    """Split a nested dict into (plain JSON dict, {path: array})."""
    plain, arrays = {}, {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, np.ndarray):
            arrays[path] = value
        elif isinstance(value, dict):
            sub_plain, sub_arrays = flatten(value, path + "/")
            plain[key] = sub_plain
            arrays.update(sub_arrays)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            items = []
            for i, item in enumerate(value):
                sub_plain, sub_arrays = flatten(item, f"{path}/{i}/")
                items.append(sub_plain)
                arrays.update(sub_arrays)
            plain[key] = {"__list__": items}
        else:
            plain[key] = value
    return plain, arrays


def unflatten(plain, arrays, prefix=""):
    tree = {}
    for key, value in plain.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and "__list__" in value:
            tree[key] = [unflatten(item, arrays, f"{path}/{i}/") for i, item in enumerate(value["__list__"])]
        elif isinstance(value, dict):
            tree[key] = unflatten(value, arrays, path + "/")
        else:
            tree[key] = value
    for path, array in arrays.items():
        if path.startswith(prefix) and "/" not in path[len(prefix):]:
            tree[path[len(prefix):]] = array
    return tree


def _code(dtype):
    for code, t in DTYPES.items():
        if np.dtype(t) == dtype:
            return code
    raise TypeError(f"cannot send arrays of dtype {dtype}")


def write(stream, header: dict, tree: dict | None = None):
    """Write one message: header (JSON) and a nested dict of arrays."""
    plain, arrays = flatten(tree or {})
    specs = []
    blobs = []
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        specs.append([name, _code(a.dtype), list(a.shape)])
        blobs.append(a.tobytes())
    head = json.dumps({"h": header, "tree": plain, "arrays": specs}).encode("utf-8")
    stream.write(_LEN.pack(len(head)) + head)
    for blob in blobs:
        stream.write(_LEN.pack(len(blob)))
        stream.write(blob)
    stream.flush()


def _read_exact(stream, n):
    data = stream.read(n)
    if data is None or len(data) < n:
        raise EOFError("the training worker closed its pipe")
    return data


def read(stream):
    """Read one message: (header, nested dict of arrays). EOFError at end of stream."""
    (size,) = _LEN.unpack(_read_exact(stream, _LEN.size))
    meta = json.loads(_read_exact(stream, size))
    arrays = {}
    for name, code, shape in meta["arrays"]:
        (size,) = _LEN.unpack(_read_exact(stream, _LEN.size))
        buf = _read_exact(stream, size)
        arrays[name] = np.frombuffer(buf, dtype=DTYPES[code]).reshape(shape).copy()
    return meta["h"], unflatten(meta["tree"], arrays)
