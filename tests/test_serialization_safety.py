"""Loading checkpoints safely (tinygrad_la/serialization.py): crafted files are refused.

A crafted checkpoint file is refused with a CheckpointError that names the file, in bounded memory;
save writes where it is told, with the umask's permissions, and cleans up after itself.
"""
from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la.serialization import CheckpointError


# --- crafted checkpoint files ----------------------------------------------------------------------

def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def _manifest(root) -> bytes:
    return _npy(np.array(json.dumps({"format": "tinygrad_la.checkpoint", "version": 1, "root": root})))


def _craft(path, members, compression=zipfile.ZIP_STORED):
    """A zip with these (name, bytes) members, as a hand-made file would be."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def _peak_memory(fn) -> int:
    """Peak bytes allocated (Python and NumPy) while fn runs."""
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def _refused(path) -> CheckpointError:
    with pytest.raises(CheckpointError) as caught:
        tg.load(path)
    assert str(path) in str(caught.value)   # the error names the file
    return caught.value


def test_checkpoint_error_is_exported_and_a_runtime_error():
    assert tg.CheckpointError is CheckpointError and issubclass(CheckpointError, RuntimeError)


def test_crafted_huge_array_declaration_raises_checkpoint_error(tmp_path):
    header = io.BytesIO()   # a .npy header declaring 7 TiB of float64, followed by 64 bytes
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (7 << 37,)})
    path = _craft(tmp_path / "huge.npz", [("__tinygrad_la__.npy", _manifest({"tensor": "w"})),
                                          ("w.npy", header.getvalue() + bytes(64))])
    errors = []
    peak = _peak_memory(lambda: errors.append(_refused(path)))
    assert "declares an array of shape (962072674304,)" in str(errors[0]) and "holds 64 bytes" in str(errors[0])
    assert peak < 1 << 20


def test_compressed_bomb_is_refused_in_bounded_memory(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__tinygrad_la__.npy", _manifest({"tensor": "w"}), compress_type=zipfile.ZIP_STORED)
        with archive.open("w.npy", "w", force_zip64=True) as member:   # 256 MB of zeros in ~250 kB
            np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False,
                                                          "shape": (1 << 25,)})
            zeros = bytes(1 << 22)
            for _ in range(64):
                member.write(zeros)
    assert path.stat().st_size < 1 << 20
    errors = []
    peak = _peak_memory(lambda: errors.append(_refused(path)))
    assert "compressed member 'w.npy'" in str(errors[0])
    assert peak < 1 << 20


def test_a_compressed_member_is_refused_even_when_small(tmp_path):
    path = _craft(tmp_path / "small.npz", [("__tinygrad_la__.npy", _manifest({"tensor": "w"})),
                                           ("w.npy", _npy(np.ones(3)))], zipfile.ZIP_DEFLATED)
    assert "compressed" in str(_refused(path))


def test_deeply_nested_manifest_raises_checkpoint_error(tmp_path):
    for depth in (150, 100_000):   # past our limit; past Python's recursion limit
        text = '{"list": [' * depth + "1" + "]}" * depth
        manifest = _npy(np.array('{"format": "tinygrad_la.checkpoint", "version": 1, "root": ' + text + "}"))
        path = _craft(tmp_path / f"deep{depth}.npz", [("__tinygrad_la__.npy", manifest)])
        assert "nest" in str(_refused(path))


@pytest.mark.parametrize("members, root, words", [
    ([("raw", b"hello")], {"tensor": "raw"}, ["member 'raw' that is not a .npy array"]),
    ([("raw.npy", b"hello")], {"tensor": "raw"}, ["truncated or corrupted"]),
    ([], {"tensor": "__tinygrad_la__"}, ["does not hold"]),
    ([("s.npy", _npy(np.array(["a", "b"])))], {"tensor": "s"}, ["'s' as a Tensor", "not numbers"]),
    ([("b.npy", _npy(np.array([b"xy"])))], {"tensor": "b"}, ["not numbers"]),
    ([("w.npy", _npy(np.ones(2)))], {"scalar": "w"}, ["as a scalar", "shape (2,)"]),
    ([("w.npy", _npy(np.ones(2)))], {"tensor": ["w"]}, ["does not hold"]),
    ([("w.npy", _npy(np.ones(2)))], {"dict": [[None, 1]]}, ["dict key"]),
], ids=["raw-member", "bad-npy", "the-manifest", "strings", "bytes", "scalar-shape", "name-list", "key-none"])
def test_a_manifest_naming_a_non_array_member_is_refused(tmp_path, members, root, words):
    path = _craft(tmp_path / "crafted.npz", [("__tinygrad_la__.npy", _manifest(root)), *members])
    error = str(_refused(path))
    for word in words:
        assert word in error


KEYS_THAT_LOOK_LIKE_MEMBERS = ["x", "x.npy", "x.npy.npy", "__tinygrad_la__", "__tinygrad_la__.npy", "a\x00b", "a",
                               "a\\b", "a_b", "/abs", "", "x#2", "tensor", "\udcff"]


def test_keys_never_collide_with_member_names_or_the_manifest(tmp_path):
    obj = {key: tg.tensor([float(i)]) for i, key in enumerate(KEYS_THAT_LOOK_LIKE_MEMBERS)}
    obj["x"] = {"npy": tg.tensor([100.0])}   # the path x/npy
    obj[7] = tg.tensor([101.0])              # an int key beside the str key "7"
    obj["7"] = tg.tensor([102.0])
    tg.save(obj, tmp_path / "keys.npz")
    loaded = tg.load(tmp_path / "keys.npz")
    assert list(loaded) == list(obj)
    for key in obj:
        if key == "x":
            assert loaded["x"]["npy"].tolist() == [100.0]
        else:
            assert loaded[key].tolist() == obj[key].tolist(), key
    with np.load(tmp_path / "keys.npz", allow_pickle=False) as npz:   # NumPy's lookups are unambiguous too
        seen = [npz[name].tolist() for name in npz.files if name != "__tinygrad_la__"]
    assert sorted(seen) == sorted([[float(i)] for i in range(len(KEYS_THAT_LOOK_LIKE_MEMBERS)) if i != 0]
                                  + [[100.0], [101.0], [102.0]])


def test_arrays_of_every_layout_round_trip(tmp_path):
    obj = {"fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "empty": np.zeros((0, 4), np.float32),
           "bool": np.array([True, False]), "int8": np.array([-3, 4], np.int8), "complex": np.array([1 + 2j]),
           "scalar": np.float32(2.5), "strings": np.array(["ab", "c"]), "half": tg.tensor([1.5], dtype=tg.float16),
           "zero-d": tg.tensor(3.0)}
    tg.save(obj, tmp_path / "layouts.npz")
    loaded = tg.load(tmp_path / "layouts.npz")
    for key, value in obj.items():
        got = loaded[key]
        assert type(got) is type(value), key
        data, want = (got.numpy(), value.numpy()) if isinstance(value, tg.Tensor) else (got, value)
        assert data.dtype == want.dtype and data.shape == want.shape, key
        np.testing.assert_array_equal(data, want)
    assert loaded["fortran"].flags.writeable and tg.load(tmp_path / "layouts.npz")["zero-d"].numpy().flags.writeable


def test_nesting_is_limited_alike_on_save_and_load(tmp_path):
    deep = 1
    for _ in range(100):   # as deep as a checkpoint may be: it round-trips
        deep = [deep]
    tg.save(deep, tmp_path / "deep.npz")
    assert tg.load(tmp_path / "deep.npz") == deep
    looped = []
    looped.append(looped)
    with pytest.raises(ValueError, match="nests deeper than 100 levels.*contain itself"):
        tg.save(looped, tmp_path / "loop.npz")
    assert sorted(os.listdir(tmp_path)) == ["deep.npz"]


def test_a_file_in_numpys_own_layout_with_a_manifest_loads(tmp_path):
    # what the previous version of save wrote: numpy.savez's layout, the manifest as a string array
    path = tmp_path / "older.npz"
    manifest = json.dumps({"format": "tinygrad_la.checkpoint", "version": 1,
                           "root": {"dict": [["w", {"tensor": "w", "requires_grad": True}], ["step", 3]]}})
    np.savez(path, __tinygrad_la__=np.array(manifest), w=np.array([1.0, 2.0]))
    loaded = tg.load(path)
    assert loaded["step"] == 3 and loaded["w"].tolist() == [1.0, 2.0] and loaded["w"].requires_grad


# --- where and how save writes ---------------------------------------------------------------------

def test_save_into_a_missing_directory_names_the_path_and_the_directory(tmp_path):
    path = tmp_path / "runs" / "ckpt.npz"
    with pytest.raises(FileNotFoundError) as caught:
        tg.save({"w": tg.tensor([1.0])}, path)
    message = str(caught.value)
    assert repr(str(path)) in message and "does not exist" in message and ".tmp" not in message
    assert not (tmp_path / "runs").exists()


def test_save_into_an_unwritable_directory_names_the_path_not_the_temp_file(tmp_path, monkeypatch):
    real_open = os.open

    def denied(path, flags, mode=0o777, **kwargs):   # what a read-only directory does (even to root)
        if flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(PermissionError) as caught:
        tg.save({"w": 1}, tmp_path / "ckpt.npz")
    monkeypatch.undo()
    assert repr(str(tmp_path / "ckpt.npz")) in str(caught.value) and ".tmp" not in str(caught.value)
    assert not os.listdir(tmp_path)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_saved_file_has_umask_permissions(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        tg.save({"w": tg.tensor([1.0])}, tmp_path / "ckpt.npz")
        tg.save({"w": tg.tensor([2.0])}, tmp_path / "ckpt.npz")   # also when replacing a file
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "ckpt.npz").st_mode) == mode


def test_save_through_symlink(tmp_path):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "ckpt-0001.npz"
    tg.save({"step": 1}, target)
    link = tmp_path / "latest.npz"
    link.symlink_to(os.path.join("store", "ckpt-0001.npz"))   # a relative link, into another directory
    tg.save({"step": 2}, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("store", "ckpt-0001.npz")
    assert tg.load(target) == {"step": 2} and tg.load(link) == {"step": 2}
    assert sorted(os.listdir(tmp_path)) == ["latest.npz", "store"] and os.listdir(tmp_path / "store") == [target.name]
    dangling = tmp_path / "next.npz"
    dangling.symlink_to(os.path.join("store", "ckpt-0002.npz"))
    tg.save({"step": 3}, dangling)   # as open(link, "wb") would: the target is created
    assert dangling.is_symlink() and tg.load(tmp_path / "store" / "ckpt-0002.npz") == {"step": 3}


KILLED_SAVE = """
import os, signal, sys
import tinygrad_la as tg
from tinygrad_la import serialization

def write_then_die(out, members):
    out.write(b"PK half a checkpoint")
    out.flush()
    os.kill(os.getpid(), signal.SIGKILL)

serialization._write_npz = write_then_die
tg.save({"w": tg.tensor([2.0])}, sys.argv[1])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_stale_temp_files_cleaned(tmp_path):
    path = tmp_path / "ckpt.npz"
    tg.save({"w": tg.tensor([1.0])}, path)
    killed = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    left = [name for name in os.listdir(tmp_path) if name != "ckpt.npz"]
    assert len(left) == 1 and left[0].startswith(".ckpt.npz.tmp-")   # named for the target it was for
    assert tg.load(path)["w"].tolist() == [1.0]                        # the old checkpoint is whole
    running = tmp_path / f".ckpt.npz.tmp-{os.getpid()}-0123abcd"       # a save in progress (this process)
    other = tmp_path / ".other.npz.tmp-999999999-0123abcd"             # another target's temporary file
    running.write_bytes(b"")
    other.write_bytes(b"")
    tg.save({"w": tg.tensor([3.0])}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["ckpt.npz", running.name, other.name])
    assert tg.load(path)["w"].tolist() == [3.0]
