"""save / load: checkpoints as NumPy .npz files, with no pickle anywhere.

A checkpoint is a state_dict (names -> tensors) or a nested dict of them, e.g.
``{"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 50}``. On disk:

  * each array is one entry of the .npz, named by its path in the nesting ("model/fc1.weight",
    "optimizer/state/0/exp_avg"), so ``numpy.load`` alone can read the numbers;
  * one more entry, ``__tinygrad_la__`` (the first), holds a JSON manifest: the structure (dicts with str or
    int keys, lists, tuples), the small leaves (numbers, strings, None, booleans), and which
    entries are Tensors, arrays or NumPy scalars. A file without it is refused, so a damaged
    directory of the zip cannot pass for a smaller checkpoint.

An array reached twice (tied weights) is stored once and loads as one array shared by both places.

Loading reads JSON and plain arrays (``allow_pickle=False``), so it never runs code from the
file. Saving is atomic: the file is written beside the target under a temporary name, flushed to
disk, then renamed over the target, so a crash mid-save leaves the old checkpoint whole.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from typing import Any, BinaryIO

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

MANIFEST = "__tinygrad_la__"
FORMAT = "tinygrad_la.checkpoint"
VERSION = 1
SEPARATOR = "/"


class CheckpointError(RuntimeError):
    """A file that is not a readable checkpoint: truncated, corrupted, or of an unknown kind."""


# --- save ----------------------------------------------------------------------------------------

def save(obj: Any, f: str | os.PathLike | BinaryIO) -> None:
    """Write `obj` (a state_dict, or nested dicts/lists/tuples of tensors, arrays and numbers) to `f`.

    `f` is a path (used exactly as given: no ".npz" is appended) or a binary file object. A path
    is written atomically: a temporary file in the same directory, fsync, then ``os.replace``.
    """
    arrays = _Arrays()
    arrays[MANIFEST] = np.array("")   # first in the file; filled in below
    root = _encode(obj, [], arrays)
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=True)
    arrays[MANIFEST] = np.array(manifest)
    if hasattr(f, "write"):
        _write_npz(f, arrays)
        return
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            _write_npz(out, arrays)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)   # make the rename itself durable


def _write_npz(out: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """What numpy.savez writes (a zip of .npy files), without its keyword-argument names, so an
    entry may be called "file" or "allow_pickle" too."""
    with zipfile.ZipFile(out, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(array), allow_pickle=False)


def _fsync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:   # e.g. Windows, where directories cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _Arrays(dict):
    """name -> array for the file, and each stored array's name by id (the arrays are kept alive
    here, so their ids stay unique while saving)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[int, str] = {}


def _encode(obj: Any, path: list[str], arrays: _Arrays) -> Any:
    """The manifest entry for `obj`; arrays go into `arrays` under their path's name."""
    if isinstance(obj, Tensor):
        return {"tensor": _store(obj.data, path, arrays), "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        return {"ndarray": _store(obj, path, arrays)}
    if isinstance(obj, np.generic):
        return {"scalar": _store(np.asarray(obj), path, arrays)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"save: dict keys must be str or int; got {key!r} ({type(key).__name__}) at "
                                f"{_where(path)}")
            items.append([key, _encode(value, path + [str(key)], arrays)])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {kind: [_encode(value, path + [str(i)], arrays) for i, value in enumerate(obj)]}
    raise TypeError(f"save: cannot store a {type(obj).__name__} at {_where(path)}. A checkpoint holds Tensors, "
                    "NumPy arrays, numbers, strings, None, and dicts/lists/tuples of them (no pickle, so "
                    "no functions or arbitrary objects)")


def _store(array: np.ndarray, path: list[str], arrays: _Arrays) -> str:
    if array.dtype.hasobject:
        raise TypeError(f"save: the array at {_where(path)} holds Python objects (dtype object); only numeric "
                        "and bool arrays can be saved without pickle")
    if id(array) in arrays.names:   # one array reached twice (tied weights): stored once, loaded shared
        return arrays.names[id(array)]
    name = SEPARATOR.join(path) or "tensor"
    unique, k = name, 1
    while unique in arrays:   # two paths that flatten alike ("a/b" and a -> b)
        k += 1
        unique = f"{name}#{k}"
    arrays[unique] = array
    arrays.names[id(array)] = unique
    return unique


def _where(path: list[str]) -> str:
    return repr(SEPARATOR.join(path)) if path else "the top level"


# --- load ----------------------------------------------------------------------------------------

def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, weights_only: bool | None = None) -> Any:
    """Read what `save` wrote: the same nesting, with Tensors, arrays and numbers where they were.

    Only arrays and JSON are read (never pickle), so loading a file cannot run code. A missing file
    raises FileNotFoundError; a truncated, corrupted or foreign file (a plain .npz from numpy.savez
    too: read it with numpy.load) raises CheckpointError naming the file, never a partial result.
    ``map_location`` and ``weights_only`` are accepted for PyTorch code (everything is on the CPU, and
    loading is always weights-only).
    """
    name = repr(getattr(f, "name", "<file object>")) if hasattr(f, "read") else repr(os.fspath(f))
    if not hasattr(f, "read") and not os.path.exists(f):
        raise FileNotFoundError(f"load: no such file: {name}")
    try:
        with contextlib.ExitStack() as stack:   # our own handle: closed even when NumPy fails halfway
            handle = f if hasattr(f, "read") else stack.enter_context(open(f, "rb"))
            npz = np.load(handle, allow_pickle=False)
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise CheckpointError(f"load: {name} holds a single array (.npy), not a checkpoint; read it "
                                      "with numpy.load")
            with npz:
                entries = {key: npz[key] for key in npz.files}
    except (FileNotFoundError, CheckpointError):
        raise
    except ValueError as error:
        if "Object arrays" in str(error):
            raise CheckpointError(f"load: {name} holds an array of Python objects, which could only be read by "
                                  "unpickling (running code from the file); refusing to load it") from None
        raise CheckpointError(f"load: {name} is not a readable checkpoint ({error}); it may be truncated or "
                              "corrupted") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, IndexError, RuntimeError, TypeError) as error:
        raise CheckpointError(f"load: {name} is truncated or corrupted ({type(error).__name__}: {error}); it "
                              "cannot be read as a checkpoint") from None
    if MANIFEST not in entries:
        raise CheckpointError(f"load: {name} has no tinygrad_la manifest: it is damaged, or it is a plain .npz "
                              "(read that with numpy.load)")
    try:
        manifest = json.loads(str(entries.pop(MANIFEST)[()]))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"unknown format {manifest.get('format')!r}")
        if manifest.get("version", 0) > VERSION:
            raise ValueError(f"written by a newer tinygrad_la (format version {manifest['version']}; this one "
                             f"reads up to {VERSION})")
        return _decode(manifest["root"], entries)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise CheckpointError(f"load: {name} has a damaged manifest ({type(error).__name__}: {error})") from None


def _decode(entry: Any, arrays: dict[str, np.ndarray]) -> Any:
    if entry is None or isinstance(entry, (bool, int, float, str)):
        return entry
    if not isinstance(entry, dict) or len(entry) not in (1, 2):
        raise ValueError(f"unexpected manifest entry {entry!r}")
    if "tensor" in entry:
        t = Tensor._make(_array(entry["tensor"], arrays), None)
        if entry.get("requires_grad"):
            t.requires_grad = True
        return t
    if "ndarray" in entry:
        return _array(entry["ndarray"], arrays)
    if "scalar" in entry:
        return _array(entry["scalar"], arrays)[()]
    if "dict" in entry:
        result = {}
        for key, value in entry["dict"]:
            if not isinstance(key, (str, int)):
                raise ValueError(f"a dict key in the manifest is {key!r}")
            result[key] = _decode(value, arrays)
        return result
    if "list" in entry:
        return [_decode(value, arrays) for value in entry["list"]]
    if "tuple" in entry:
        return tuple(_decode(value, arrays) for value in entry["tuple"])
    raise ValueError(f"unexpected manifest entry with keys {sorted(entry)}")


def _array(name: Any, arrays: dict[str, np.ndarray]) -> np.ndarray:
    if name not in arrays:
        raise KeyError(f"the manifest names an array {name!r} that the file does not hold")
    return arrays[name]

