"""Tests of tests/oracle.py: PyTorch's answers recorded exactly, and asked for live or from the recording."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests import oracle


def test_answers_round_trip_exactly_through_json():
    answer = {"f32": np.array([0.1, -2.5e-8, np.inf], dtype=np.float32), "f64": np.array([[np.nan, 1 / 3]]),
              "int": np.arange(3), "bool": np.array(True), "scalar": 0.1 + 0.2, "none": None,
              "nested": ([1, 2.5], "text", {"inner": -np.inf}), "np scalars": [np.float32(0.1), np.True_]}
    back = oracle.decode(json.loads(json.dumps(oracle.encode(answer))))
    assert oracle.same(back, answer)
    assert back["f32"].dtype == np.float32 and back["f32"][0] == np.float32(0.1)
    assert back["f64"].shape == (1, 2) and back["f64"][0, 1] == 1 / 3
    assert isinstance(back["nested"], tuple) and back["nested"][2]["inner"] == -np.inf
    assert type(back["np scalars"][0]) is np.float32 and back["np scalars"][1] is np.True_


def test_same_tells_dtypes_shapes_and_values_apart():
    assert not oracle.same(np.zeros(2), np.zeros(2, dtype=np.float32))
    assert not oracle.same(np.zeros(2), np.zeros((1, 2)))
    assert not oracle.same([1.0, 2.0], [1.0, 2.0000001])
    assert not oracle.same((1,), [1])


def test_an_answer_must_be_plain_data():
    with pytest.raises(TypeError, match="plain data"):
        oracle.encode(object())


def test_without_pytorch_the_recording_answers_and_a_missing_one_says_how_to_record(tmp_path, monkeypatch):
    monkeypatch.setattr(oracle, "FIXTURES", tmp_path)
    monkeypatch.setattr(oracle, "torch_or_none", lambda: None)
    (tmp_path / "m.json").write_text(json.dumps({"torch_version": "2.13.0",
                                                 "answers": {"t::q": oracle.encode(np.array([1.5]))}}))
    recordings = oracle.Recordings()
    np.testing.assert_array_equal(recordings.ask("m", "t::q", lambda torch: 1 / 0), [1.5])   # compute never runs
    with pytest.raises(LookupError, match="make fixtures"):
        recordings.ask("m", "t::other", lambda torch: 0)


def _live(monkeypatch, tmp_path, version, recording):
    """A stand-in for installed PyTorch (only its version is read), recordings kept in tmp_path."""
    fake = type("FakeTorch", (), {"__version__": version})
    monkeypatch.setattr(oracle, "FIXTURES", tmp_path)
    monkeypatch.setattr(oracle, "torch_or_none", lambda: fake)
    monkeypatch.setattr(oracle, "RECORDING", recording)


def test_live_pytorch_must_agree_with_the_recording(tmp_path, monkeypatch):
    _live(monkeypatch, tmp_path, "2.13.0+cpu", recording=False)
    (tmp_path / "m.json").write_text(json.dumps({"torch_version": "2.13.0",
                                                 "answers": {"t::q": oracle.encode(np.array([1.5]))}}))
    recordings = oracle.Recordings()
    assert recordings.ask("m", "t::q", lambda torch: np.array([1.5]))[0] == 1.5
    with pytest.raises(AssertionError, match="stale"):
        recordings.ask("m", "t::q", lambda torch: np.array([2.5]))


def test_recording_writes_what_live_pytorch_said(tmp_path, monkeypatch):
    _live(monkeypatch, tmp_path, "2.13.0", recording=True)
    recordings = oracle.Recordings()
    recordings.ask("m", "t::q", lambda torch: {"x": np.array([3.0])})
    (path,) = recordings.write()
    stored = json.loads(path.read_text())
    assert stored["torch_version"] == "2.13.0"
    assert oracle.same(oracle.decode(stored["answers"]["t::q"]), {"x": np.array([3.0])})


def test_every_recording_belongs_to_a_test_that_still_exists():
    import importlib
    stale = []
    for path in sorted(oracle.FIXTURES.glob("*.json")):
        module = importlib.import_module(f"tests.{path.stem}")
        for key in json.loads(path.read_text())["answers"]:
            test = key.split("::", 1)[0].split("[", 1)[0]
            if not callable(getattr(module, test, None)):
                stale.append(f"{path.name}: {key}")
    assert not stale, f"recordings for tests that are gone (delete those entries from the file): {stale[:5]}"
