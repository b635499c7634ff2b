"""save / load: round trips, atomic writes, damaged files, and no pickle anywhere."""
from __future__ import annotations

import io
import math
import os
import zipfile

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la import optim
from tinygrad_la.optim import lr_scheduler
from tinygrad_la.serialization import CheckpointError, load, save


def model_state() -> dict:
    rng = np.random.default_rng(0)
    return {"fc1.weight": tg.tensor(rng.normal(size=(4, 3))), "fc1.bias": tg.tensor(rng.normal(size=4)),
            "fc2.weight": tg.tensor(rng.normal(size=(2, 4)).astype(np.float32))}


def assert_same(a, b):
    """Equal structure, types, dtypes and values (nan equal to nan)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, tg.Tensor):
        assert a.dtype == b.dtype and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def test_state_dict_round_trip(tmp_path):
    path = tmp_path / "model.npz"
    state = model_state()
    save(state, path)
    assert_same(load(path), state)


def test_nested_checkpoint_round_trip(tmp_path):
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.01, amsgrad=True)
    (w * w).sum().backward()
    opt.step()
    checkpoint = {
        "model": model_state(), "optimizer": opt.state_dict(), "step": 50, "loss": 0.25,
        "notes": "run 3", "done": False, "best": None, "history": [1.5, float("nan"), float("inf")],
        "shape": (3, 4), "mask": np.array([True, False]), "ids": np.arange(3, dtype=np.int32),
        "scalar": np.float32(2.5), "param": w, "empty": {}, 7: "int key",
    }
    save(checkpoint, tmp_path / "ckpt.npz")
    loaded = load(tmp_path / "ckpt.npz")
    assert_same(loaded, checkpoint)
    assert list(loaded["optimizer"]["state"]) == [0]   # int keys stay ints
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)


def test_a_checkpoint_is_a_plain_npz_with_readable_names(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"model": model_state(), "file": np.ones(2), "allow_pickle": 1}, path)
    with np.load(path, allow_pickle=False) as npz:
        assert {"model/fc1.weight", "model/fc1.bias", "model/fc2.weight", "file"} <= set(npz.files)
        np.testing.assert_array_equal(npz["model/fc1.bias"], model_state()["fc1.bias"].numpy())


def test_paths_that_flatten_alike_do_not_collide(tmp_path):
    obj = {"a/b": tg.tensor([1.0]), "a": {"b": tg.tensor([2.0])}, 0: tg.tensor([3.0]), "0": tg.tensor([4.0])}
    save(obj, tmp_path / "x.npz")
    assert_same(load(tmp_path / "x.npz"), obj)


def test_the_path_is_used_exactly_and_file_objects_work(tmp_path):
    save(model_state(), tmp_path / "weights.ckpt")
    assert os.listdir(tmp_path) == ["weights.ckpt"]
    buffer = io.BytesIO()
    save({"x": tg.tensor([1.0])}, buffer)
    buffer.seek(0)
    assert load(buffer)["x"].tolist() == [1.0]


def test_a_plain_numpy_savez_file_is_refused_not_guessed_at(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.ones((2, 2)), b=np.zeros(2))
    with pytest.raises(CheckpointError, match="plain.npz.*no tinygrad_la manifest.*numpy.load"):
        load(tmp_path / "plain.npz")


def test_unsupported_values_are_refused_on_save(tmp_path):
    with pytest.raises(TypeError, match="cannot store a function at 'sched/fn'"):
        save({"sched": {"fn": lambda e: e}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        save({"bad": np.array([1, "a"], dtype=object)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dict keys"):
        save({(1, 2): 3}, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


# --- atomic writes -----------------------------------------------------------------------------

def test_a_crash_at_the_rename_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"step": 1, "w": tg.tensor([1.0])}, path)

    def crash(src, dst):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        save({"step": 2, "w": tg.tensor([2.0])}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert load(path)["step"] == 1 and load(path)["w"].tolist() == [1.0]


def test_a_crash_while_writing_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"step": 1}, path)
    calls = []
    real_write = np.lib.format.write_array

    def write_then_crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt   # even an interrupt halfway through the arrays
        return real_write(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        save({"a": np.ones(3), "b": np.ones(3), "step": 2}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"] and load(path) == {"step": 1}


def test_save_flushes_the_file_and_the_directory_to_disk(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    save({"w": tg.tensor([1.0])}, tmp_path / "ckpt.npz")
    assert len(synced) >= 2   # the temporary file before the rename, the directory after it


# --- damaged files -----------------------------------------------------------------------------

@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"model": model_state(), "step": 3}, path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        load(tmp_path / "nope.npz")


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.6, 0.95])
def test_truncated_file(saved, keep):
    data = saved.read_bytes()
    saved.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(CheckpointError, match="ckpt.npz"):
        load(saved)


def test_a_damaged_file_is_closed_after_the_error(tmp_path):
    import gc
    import warnings
    path = tmp_path / "ckpt.npz"
    path.write_bytes(b"PK\x03\x04 a zip header, then nothing")   # NumPy opens it as an .npz, then fails
    gc.collect()   # earlier garbage out of the way: only this test's files count
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(3):
            with pytest.raises(CheckpointError, match="ckpt.npz"):
                load(path)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning) and str(path) in str(w.message)]


def test_a_flipped_byte_anywhere_raises_or_changes_nothing(saved):
    # The zip's CRCs cover every array and the manifest; a few header bytes (such as the local
    # headers' size fields, which readers take from the directory) can change without harm.
    # Either way no flip may give different data.
    original, data = load(saved), saved.read_bytes()
    caught = 0
    for at in range(0, len(data), 7):
        garbled = bytearray(data)
        garbled[at] ^= 0xA5
        saved.write_bytes(bytes(garbled))
        try:
            loaded = load(saved)
        except CheckpointError as error:
            assert "ckpt.npz" in str(error)
            caught += 1
        else:
            assert_same(loaded, original)
    assert caught > 0.8 * len(range(0, len(data), 7))


def test_foreign_files(tmp_path):
    (tmp_path / "text.npz").write_text("not a checkpoint")
    np.save(tmp_path / "single.npy", np.ones(3))
    with zipfile.ZipFile(tmp_path / "other.npz", "w") as archive:
        archive.writestr("__tinygrad_la__.npy", b"garbage")
    for name in ("text.npz", "single.npy", "other.npz"):
        with pytest.raises(CheckpointError, match=name):
            load(tmp_path / name)


def test_a_damaged_manifest(tmp_path):
    path = tmp_path / "ckpt.npz"
    np.savez(path, w=np.ones(2), __tinygrad_la__=np.array('{"format": "tinygrad_la.checkpoint", "version": 1, '
                                                          '"root": {"dict": [["w", {"tensor": "missing"}]]}}'))
    with pytest.raises(CheckpointError, match="missing"):
        load(path)


class Payload:
    """Unpickling this would create a marker file: loading must never get that far."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_object_arrays_are_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.ones(2), evil=np.array([Payload(str(marker))], dtype=object))
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="Python objects"):
        load(path)
    assert not marker.exists()


# --- resuming training from a checkpoint --------------------------------------------------------

def _fresh(seed=0):
    rng = np.random.default_rng(seed)
    W = tg.tensor(rng.normal(size=(3, 2)), requires_grad=True)
    b = tg.tensor(np.zeros(3), requires_grad=True)
    opt = optim.Adam([W, b], lr=0.05)
    scheduler = lr_scheduler.StepLR(opt, step_size=20, gamma=0.5)
    return W, b, opt, scheduler


def _steps(W, b, opt, scheduler, n):
    rng = np.random.default_rng(1)
    X, y = tg.tensor(rng.normal(size=(8, 2))), tg.tensor(rng.normal(size=(8, 3)))
    losses = []
    for _ in range(n):
        loss = (((X @ W.T + b).tanh() - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        scheduler.step()
        losses.append(loss.item())
    return losses


def test_resuming_from_a_checkpoint_continues_the_run_exactly(tmp_path):
    W, b, opt, scheduler = _fresh()
    straight = _steps(W, b, opt, scheduler, 100)

    W, b, opt, scheduler = _fresh()
    first = _steps(W, b, opt, scheduler, 50)
    save({"model": {"W": W, "b": b}, "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict(),
          "step": 50}, tmp_path / "ckpt.npz")
    del W, b, opt, scheduler

    W, b, opt, scheduler = _fresh(seed=99)        # new objects, other weights
    checkpoint = load(tmp_path / "ckpt.npz")
    with tg.no_grad():
        W.copy_(checkpoint["model"]["W"])
        b.copy_(checkpoint["model"]["b"])
    opt.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert checkpoint["step"] == 50
    second = _steps(W, b, opt, scheduler, 50)
    assert first + second == straight   # bit for bit


RESUME_SCRIPT = r"""
import json, sys
import numpy as np
import tinygrad_la as tg
from tinygrad_la import nn, optim
from tinygrad_la.serialization import load

def build():
    tg.manual_seed(123)   # other weights than the run that saved: the checkpoint must overwrite them
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    return model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)

rng = np.random.default_rng(1)
X, y = tg.tensor(rng.normal(size=(32, 2))), tg.tensor(rng.normal(size=(32, 1)))
model, opt = build()
checkpoint = load(sys.argv[1])
model.load_state_dict(checkpoint["model"])
opt.load_state_dict(checkpoint["optimizer"])
losses = []
for _ in range(checkpoint["steps_left"]):
    loss = nn.MSELoss()(model(X), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
print(json.dumps(losses))
"""


def test_a_new_process_resumes_an_nn_model_exactly(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    from tinygrad_la import nn
    rng = np.random.default_rng(1)
    X, y = tg.tensor(rng.normal(size=(32, 2))), tg.tensor(rng.normal(size=(32, 1)))

    def run(model, opt, steps):
        losses = []
        for _ in range(steps):
            loss = nn.MSELoss()(model(X), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    def build():
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        return model, optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)

    straight = run(*build(), 100)
    model, opt = build()
    first = run(model, opt, 50)
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "steps_left": 50}, tmp_path / "ckpt.npz")
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", RESUME_SCRIPT, str(tmp_path / "ckpt.npz")], capture_output=True,
                         text=True, env=env, cwd=root, timeout=120)
    assert out.returncode == 0, out.stderr
    assert first + json.loads(out.stdout) == straight


def test_every_scheduler_state_survives_a_save(tmp_path):
    makers = [lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
              lambda o: lr_scheduler.MultiStepLR(o, milestones=[1, 3, 3], gamma=0.5),
              lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
              lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
              lambda o: lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1))]
    for make in makers:
        runs = []
        for resumed in (False, True):
            opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=0.1)
            scheduler = make(opt)
            for _ in range(3):
                opt.step()
                scheduler.step()
            if resumed:
                save({"opt": opt.state_dict(), "sched": scheduler.state_dict()}, tmp_path / "s.npz")
                opt = optim.SGD([tg.tensor([1.0], requires_grad=True)], lr=0.1)
                scheduler = make(opt)
                checkpoint = load(tmp_path / "s.npz")
                opt.load_state_dict(checkpoint["opt"])
                scheduler.load_state_dict(checkpoint["sched"])
            lrs = []
            for _ in range(5):
                opt.step()
                scheduler.step()
                lrs.append(scheduler.get_last_lr())
            runs.append(lrs)
        assert runs[0] == runs[1], type(scheduler).__name__


def test_an_array_reached_twice_is_stored_once_and_loads_shared(tmp_path):
    shared = tg.tensor([1.0, 2.0])
    save({"encoder.weight": shared, "decoder.weight": shared, "copy": tg.tensor([1.0, 2.0])}, tmp_path / "t.npz")
    with np.load(tmp_path / "t.npz") as npz:
        assert "decoder.weight" not in npz.files and "copy" in npz.files
    loaded = load(tmp_path / "t.npz")
    assert loaded["encoder.weight"].numpy() is loaded["decoder.weight"].numpy()
    assert loaded["copy"].numpy() is not loaded["encoder.weight"].numpy()


# --- 100 steps straight == 50 steps, save, a new process loads, 50 steps -------------------------

RESUME_COMMON = r"""
import numpy as np
import tinygrad_la as tg
from tinygrad_la import nn, optim
from tinygrad_la.optim import lr_scheduler


def build(config, seed):
    tg.manual_seed(seed)
    dtype = np.dtype(config["dtype"])
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).to(dtype)
    if config["optimizer"] == "adam":
        opt = optim.Adam(model.parameters(), lr=0.02, amsgrad=True, weight_decay=1e-3)
    else:
        opt = optim.RMSprop(model.parameters(), lr=0.01, momentum=0.5, centered=True)
    scheduler = lr_scheduler.StepLR(opt, step_size=10, gamma=0.7)
    rng = np.random.default_rng(1)
    X = tg.tensor(rng.normal(size=(32, 2)).astype(dtype))
    y = tg.tensor(rng.normal(size=(32, 1)).astype(dtype))
    return model, opt, scheduler, X, y


def run(model, opt, scheduler, X, y, steps):
    losses = []
    for _ in range(steps):
        loss = nn.MSELoss()(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        scheduler.step()
        losses.append(loss.item())
    return losses
"""

RESUME_IN_NEW_PROCESS = RESUME_COMMON + r"""
import json, sys
from tinygrad_la.serialization import load

config = json.loads(sys.argv[2])
model, opt, scheduler, X, y = build(config, seed=123)     # other weights: the checkpoint must replace them
checkpoint = load(sys.argv[1])
model.load_state_dict(checkpoint["model"])
opt.load_state_dict(checkpoint["optimizer"])
scheduler.load_state_dict(checkpoint["scheduler"])
print(json.dumps({"losses": run(model, opt, scheduler, X, y, checkpoint["steps_left"]),
                  "dtype": model[0].weight.numpy().dtype.name}))
"""


@pytest.mark.parametrize("config", [{"optimizer": "adam", "dtype": "float32"},
                                    {"optimizer": "rmsprop", "dtype": "float64"}],
                         ids=lambda c: f"{c['optimizer']}-{c['dtype']}")
def test_a_new_process_resumes_optimizer_and_schedule_bit_for_bit(tmp_path, config):
    import json
    import subprocess
    import sys
    from pathlib import Path

    code: dict = {}
    exec(RESUME_COMMON, code)
    straight = code["run"](*code["build"](config, seed=0), 100)
    model, opt, scheduler, X, y = code["build"](config, seed=0)
    first = code["run"](model, opt, scheduler, X, y, 50)
    path = tmp_path / "ckpt.npz"
    save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": scheduler.state_dict(),
          "steps_left": 50}, path)
    assert not [name for name in os.listdir(tmp_path) if name != "ckpt.npz"]   # no temporary file left behind
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", RESUME_IN_NEW_PROCESS, str(path), json.dumps(config)],
                         capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert out.returncode == 0, out.stderr
    resumed = json.loads(out.stdout)
    assert resumed["dtype"] == config["dtype"]
    assert first + resumed["losses"] == straight      # exactly: every bit of every loss
    assert straight[-1] < straight[0]                  # and it did train
