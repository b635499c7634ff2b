"""save / load: checkpoints as NumPy .npz files, with no pickle anywhere.

A checkpoint is a state_dict (names -> tensors) or a nested dict of them, e.g.
``{"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 50}``. On disk:

  * each array is one uncompressed .npy member of the zip, named by its path in the nesting
    ("model/fc1.weight", "optimizer/state/0/exp_avg"), so ``numpy.load`` alone can read the numbers;
  * one more member, ``__tinygrad_la__`` (the first), holds a JSON manifest: the structure (dicts with
    str or int keys, lists, tuples), the small leaves (numbers, strings, None, booleans), and which
    member holds each Tensor, array or NumPy scalar. A file without it is refused, so a damaged
    directory of the zip cannot pass for a smaller checkpoint.

Keys never collide with each other or with the manifest: a member's name is only a readable hint,
made unique when two paths would read alike (also as NumPy's ``npz[name]`` looks names up), and
the manifest says which member is which. An array reached twice (tied weights) is stored once and
loads as one array shared by both places.

Loading reads JSON and plain arrays, never pickle, so it never runs code from the file; and it
reads in memory bounded by the file's size: every member must be stored uncompressed, its declared
shape must match the bytes it holds, and those bytes must lie inside the file. Anything else is a
CheckpointError naming the file.

Saving is atomic: the file is written beside the target as ``.{name}.tmp-{pid}-{random}``, flushed
to disk, then renamed over the target, so a crash mid-save leaves the old checkpoint whole (and
the next save to that path removes the temporary files of saves whose process is gone). A symlink
is written through: its target is replaced, the link kept. The file gets the permissions of any
newly created file (``0o666 & ~umask``).
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import zipfile
from typing import Any, BinaryIO

import numpy as np

from .core import dtypes
from .tensor import Tensor

__all__ = ["save", "load", "CheckpointError"]

MANIFEST = "__tinygrad_la__"
FORMAT = "tinygrad_la.checkpoint"
VERSION = 1
SEPARATOR = "/"
MAX_DEPTH = 100        # nesting of dicts/lists/tuples; real checkpoints use about five levels
MAX_NAME = 200         # characters of a member name kept from its key path (the manifest has the rest)
CHUNK = 1 << 18        # bytes read at a time from a member (small enough to stay in the cache)


class CheckpointError(RuntimeError):
    """A file that is not a readable checkpoint: truncated, corrupted, crafted, or of an unknown kind."""


# --- save ----------------------------------------------------------------------------------------

def save(obj: Any, f: str | os.PathLike[str] | BinaryIO) -> None:
    """Write `obj` (a state_dict, or nested dicts/lists/tuples of tensors, arrays and numbers) to `f`.

    `f` is a path (used exactly as given: no ".npz" is appended) or a binary file object. A path
    is written atomically: a temporary file in the same directory, fsync, then ``os.replace``.
    """
    arrays = _Arrays()
    root = _encode(obj, [], arrays)
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=True)
    members = {MANIFEST: np.array(manifest), **arrays}   # the manifest first in the file
    if not isinstance(f, (str, bytes, os.PathLike)):
        if not hasattr(f, "write"):
            raise TypeError(f"save: f must be a path or a binary file object; got {type(f).__name__}")
        _write_npz(f, members)
        return
    path = os.fspath(f)
    target = os.path.realpath(path) if os.path.islink(path) else path   # write through a symlink
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: cannot write {path!r}: the directory {directory!r} does not exist; "
                                "create it first (os.makedirs(directory, exist_ok=True))")
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: cannot write {path!r}: it is a directory; give a file name inside it")
    stem = _temp_stem(target)
    _remove_stale_temps(directory, stem)
    fd, temp = _create_temp(directory, stem, path)
    try:
        with os.fdopen(fd, "wb") as out:
            _write_npz(out, members)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_directory(directory)   # make the rename itself durable


def _temp_stem(target: str) -> str:
    """The start of every temporary file name for `target`: ``.{name}.tmp-`` (name shortened to fit)."""
    return f".{os.path.basename(target)[:100]}.tmp-"


def _create_temp(directory: str, stem: str, path: str) -> tuple[int, str]:
    """A new, empty temporary file ``{stem}{pid}-{random}``, created with mode 0o666 so that the umask
    alone decides its permissions, as for any file a program creates."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = os.path.join(directory, f"{stem}{os.getpid()}-{secrets.token_hex(4)}")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
        except OSError as error:   # the user's path in the message, not our temporary name
            raise type(error)(error.errno, f"save: cannot write {path!r} ({error.strerror} when creating a file "
                                           f"in {directory!r})") from None


def _remove_stale_temps(directory: str, stem: str) -> None:
    """Delete temporary files of earlier saves to this path whose process no longer runs (killed
    mid-save); those of running processes, which may be saving right now, are left alone."""
    pattern = re.compile(re.escape(stem) + r"(\d+)-[0-9a-f]{8}")
    with contextlib.suppress(OSError):
        for entry in os.listdir(directory):
            match = pattern.fullmatch(entry)
            if match and not _process_exists(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(directory, entry))


def _process_exists(pid: int) -> bool:
    if os.name == "nt":   # os.kill(pid, 0) would terminate the process there: assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):   # another user's process (or a bogus pid): keep
        return True
    return True


def _write_npz(out: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """What numpy.savez writes (a zip of uncompressed .npy files), without its keyword-argument
    names, so an entry may be called "file" or "allow_pickle" too."""
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


class _Arrays(dict[str, np.ndarray]):
    """member name -> array, each stored array's name by id (the arrays are kept alive here, so
    their ids stay unique while saving), and the names taken, as NumPy's npz[...] would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[int, str] = {}
        self.taken: set[str] = {MANIFEST, MANIFEST + ".npy"}


def _encode(obj: Any, path: list[str], arrays: _Arrays) -> Any:
    """The manifest entry for `obj`; arrays go into `arrays` under their path's name."""
    if isinstance(obj, Tensor):
        return {"tensor": _store(obj._array, path, arrays), "requires_grad": obj.requires_grad}
    if isinstance(obj, np.ndarray):
        return {"ndarray": _store(obj, path, arrays)}
    if isinstance(obj, np.generic):
        return {"scalar": _store(np.asarray(obj), path, arrays)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if len(path) >= MAX_DEPTH and isinstance(obj, (dict, list, tuple)):
        raise ValueError(f"save: the checkpoint nests deeper than {MAX_DEPTH} levels at {_where(path[:3])}/...; "
                         "does a list or dict contain itself?")
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
    name = _member_name(path)
    unique, k = name, 1
    # npz[name] finds member name + ".npy" and also a member called name: both spellings stay unique
    while unique in arrays.taken or unique + ".npy" in arrays.taken:
        k += 1
        unique = f"{name}#{k}"
    arrays[unique] = array
    arrays.names[id(array)] = unique
    arrays.taken.update((unique, unique + ".npy"))
    return unique


def _member_name(path: list[str]) -> str:
    """A readable zip member name for a key path: zip truncates names at NUL and some tools treat
    backslashes and a leading "/" as directories, so those become "_"; at most MAX_NAME characters."""
    name = SEPARATOR.join(path)
    name = name.replace("\x00", "_").replace("\\", "_").lstrip("/")
    name = name.encode("utf-8", "replace").decode("utf-8")[:MAX_NAME]   # lone surrogates cannot be stored
    return name or "tensor"


def _where(path: list[str]) -> str:
    return repr(SEPARATOR.join(path)) if path else "the top level"


# --- load ----------------------------------------------------------------------------------------

def load(f: str | os.PathLike[str] | BinaryIO, map_location: Any = None, weights_only: bool | None = None) -> Any:
    """Read what `save` wrote: the same nesting, with Tensors, arrays and numbers where they were.

    Only arrays and JSON are read (never pickle), so loading a file cannot run code, and memory
    stays bounded by the file's size. A missing file raises FileNotFoundError; a truncated,
    corrupted, crafted or foreign file (a plain .npz from numpy.savez too: read it with numpy.load)
    raises CheckpointError naming the file, never a partial result. ``map_location`` and
    ``weights_only`` are accepted for PyTorch code (everything is on the CPU, and loading is always
    weights-only).
    """
    if isinstance(f, (str, bytes, os.PathLike)):
        name = repr(os.fspath(f))
        if not os.path.exists(f):
            raise FileNotFoundError(f"load: no such file: {name}")
    elif hasattr(f, "read"):
        name = repr(getattr(f, "name", "<file object>"))
    else:
        raise TypeError(f"load: f must be a path or a binary file object; got {type(f).__name__}")
    with contextlib.ExitStack() as stack:   # our own handle: closed even when reading fails halfway
        handle: BinaryIO = stack.enter_context(open(f, "rb")) if isinstance(f, (str, bytes, os.PathLike)) else f
        entries = _read_members(handle, name)
    if MANIFEST not in entries:
        raise CheckpointError(f"load: {name} has no tinygrad_la manifest: it is damaged, or it is a plain .npz "
                              "(read that with numpy.load)")
    manifest = entries.pop(MANIFEST)
    try:
        if manifest.dtype.kind != "U" or manifest.shape != ():
            raise ValueError(f"the manifest is an array of shape {tuple(manifest.shape)} and dtype "
                             f"{dtypes.public(manifest.dtype)}, not a JSON string")
        manifest = json.loads(str(manifest[()]))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError(f"unknown format {manifest.get('format') if isinstance(manifest, dict) else None!r}")
        version = manifest.get("version", 0)
        if not isinstance(version, int) or version > VERSION:
            raise ValueError(f"written by a newer tinygrad_la (format version {version!r}; this one reads up "
                             f"to {VERSION})")
        return _decode(manifest["root"], entries, 0)
    except RecursionError:
        raise CheckpointError(f"load: {name} has a damaged manifest (nested too deeply to read)") from None
    except Exception as error:   # whatever a crafted manifest makes go wrong: the file is at fault
        raise CheckpointError(f"load: {name} has a damaged manifest ({type(error).__name__}: {error})") from None


def _read_members(handle: BinaryIO, name: str) -> dict[str, np.ndarray]:
    """Every member of the zip as an array, keyed by its name without ".npy"; CheckpointError if
    the file is not a zip of uncompressed, self-consistent .npy members lying inside the file."""
    try:
        start = handle.tell()
        size = handle.seek(0, os.SEEK_END)
        handle.seek(start)
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            if sum(info.compress_size for info in infos) > size:   # members sharing bytes: a zip bomb
                raise CheckpointError(f"load: {name} is corrupted or crafted: its members claim more bytes "
                                      f"({sum(info.compress_size for info in infos)}) than the file holds ({size})")
            entries: dict[str, np.ndarray] = {}
            for info in infos:
                key = _check_member(info, size, name)
                if key in entries:
                    raise CheckpointError(f"load: {name} holds two members named {info.filename!r}")
                entries[key] = _read_array(archive, info, name)
            return entries
    except CheckpointError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError,
            KeyError, IndexError, TypeError, OverflowError, UnicodeDecodeError) as error:
        raise CheckpointError(f"load: {name} is truncated or corrupted ({type(error).__name__}: {error}); it "
                              "cannot be read as a checkpoint") from None


def _check_member(info: zipfile.ZipInfo, size: int, name: str) -> str:
    """The member's array name, if it is an uncompressed .npy whose bytes lie inside the file."""
    member = info.filename
    if not member.endswith(".npy"):
        raise CheckpointError(f"load: {name} holds a member {member!r} that is not a .npy array, so it is not a "
                              "tinygrad_la checkpoint")
    if info.compress_type != zipfile.ZIP_STORED:
        raise CheckpointError(f"load: {name} holds a compressed member {member!r}; tinygrad_la.save stores "
                              "arrays uncompressed, and a compressed member could inflate without bound. "
                              "(A numpy.savez_compressed file? Read it with numpy.load.)")
    if info.file_size != info.compress_size or info.header_offset + info.compress_size > size:
        raise CheckpointError(f"load: {name} is corrupted or crafted: member {member!r} claims {info.file_size} "
                              f"bytes at offset {info.header_offset} of a {size}-byte file")
    return member[:-len(".npy")]


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> np.ndarray:
    """One .npy member, read in chunks into an array of exactly the size its header declares,
    after checking that the member holds that many bytes (never pickle, never more memory)."""
    member = info.filename
    with archive.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(fp)
        elif version == (3, 0) and hasattr(np.lib.format, "_read_array_header"):
            shape, fortran_order, dtype = np.lib.format._read_array_header(fp, version)
        else:
            raise CheckpointError(f"load: {name}: member {member!r} is a .npy of unknown version {version}")
        if dtype.hasobject:
            raise CheckpointError(f"load: {name} holds an array of Python objects ({member!r}), which could only "
                                  "be read by unpickling (running code from the file); refusing to load it")
        count = math.prod(shape)
        held = info.file_size - fp.tell()
        if count * dtype.itemsize != held:
            raise CheckpointError(f"load: {name} is corrupted or crafted: member {member!r} declares an array of "
                                  f"shape {shape} and dtype {dtypes.public(dtype)} ({count * dtype.itemsize} bytes) "
                                  f"but holds {held} bytes")
        array = np.empty(count, dtype=dtype)
        if held:
            buffer = array.view(np.uint8)
            at = 0
            while at < held:
                chunk = fp.read(min(CHUNK, held - at))
                if not chunk:
                    raise EOFError(f"member {member!r} ends after {at} of {held} bytes")
                buffer[at:at + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
                at += len(chunk)
        if fp.read(1):   # (reading to the end also checks the member's CRC)
            raise CheckpointError(f"load: {name}: member {member!r} holds more bytes than its header declares")
    result: np.ndarray = array.reshape(shape[::-1]).transpose() if fortran_order else array.reshape(shape)
    return result


def _decode(entry: Any, arrays: dict[str, np.ndarray], depth: int) -> Any:
    if entry is None or isinstance(entry, (bool, int, float, str)):
        return entry
    if depth > MAX_DEPTH:
        raise ValueError(f"the structure nests deeper than {MAX_DEPTH} levels")
    if not isinstance(entry, dict) or len(entry) not in (1, 2):
        raise ValueError(f"unexpected manifest entry {_brief(entry)}")
    if "tensor" in entry:
        array = _array(entry["tensor"], arrays)
        if array.dtype.kind not in "biufc":
            raise ValueError(f"the manifest names {entry['tensor']!r} as a Tensor, but that member holds "
                             f"dtype {dtypes.public(array.dtype)}, not numbers")
        t = Tensor._make(array, None)
        if entry.get("requires_grad") is True:
            t.requires_grad = True
        return t
    if "ndarray" in entry:
        return _array(entry["ndarray"], arrays)
    if "scalar" in entry:
        array = _array(entry["scalar"], arrays)
        if array.shape != ():
            raise ValueError(f"the manifest names {entry['scalar']!r} as a scalar, but it has shape {tuple(array.shape)}")
        return array[()]
    if "dict" in entry:
        result = {}
        for key, value in entry["dict"]:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise ValueError(f"a dict key in the manifest is {_brief(key)}")
            result[key] = _decode(value, arrays, depth + 1)
        return result
    if "list" in entry:
        return [_decode(value, arrays, depth + 1) for value in entry["list"]]
    if "tuple" in entry:
        return tuple(_decode(value, arrays, depth + 1) for value in entry["tuple"])
    raise ValueError(f"unexpected manifest entry with keys {sorted(entry)}")


def _array(name: Any, arrays: dict[str, np.ndarray]) -> np.ndarray:
    if not isinstance(name, str) or name not in arrays:
        raise KeyError(f"the manifest names an array {_brief(name)} that the file does not hold")
    return arrays[name]


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
