"""Soak test: 20 000 training steps of an MLP with resident memory flat after warm-up.

Each step is what a training loop does (DataLoader with shuffling, forward, cross-entropy,
zero_grad, backward, clip_grad_norm_, Adam, a learning-rate schedule); every 1000 steps it also
evaluates under no_grad and saves and reloads a checkpoint (in memory).

Marked `soak`: deselected by default (pyproject's addopts), run by `make soak`
(`pytest -m soak`). A leak of one small array per step (a graph kept alive by a hook, a cache
that only grows, a gradient that is never freed) adds megabytes over 20 000 steps, which the
5 % bound on growth after warm-up catches. The figures (steps per second, resident memory after
warm-up and at the end) are printed, so a soak run reports how fast and how flat it was.
"""
from __future__ import annotations

import gc
import io
import os
import resource
import time

import numpy as np
import pytest

import tinygrad_la as tg
from tinygrad_la import nn, optim
from tinygrad_la.optim import lr_scheduler

STEPS = 20_000
WARM_UP = 2_000
EVERY = 1_000


def resident_bytes() -> int:
    """Resident set size now: /proc/self/statm where there is one, else the peak from getrusage."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:   # not Linux: the peak (ru_maxrss is KiB on Linux, bytes on macOS)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if os.uname().sysname == "Darwin" else peak * 1024


@pytest.mark.soak
def test_20000_training_steps_keep_memory_flat(capsys: pytest.CaptureFixture) -> None:
    tg.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(512, 16))
    y = (X[:, :4].sum(axis=1) > 0).astype(np.int64) + 2 * (X[:, 4] > 0)    # 4 classes
    loader = tg.utils.data.DataLoader(tg.utils.data.TensorDataset(tg.tensor(X), tg.tensor(y)), batch_size=64,
                                      shuffle=True)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 4))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = lr_scheduler.StepLR(opt, step_size=5_000, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()

    samples: list[tuple[int, int]] = []
    losses: list[float] = []
    step = 0
    start = time.perf_counter()
    gc.collect()
    samples.append((0, resident_bytes()))
    while step < STEPS:
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            scheduler.step()
            step += 1
            if step % 100 == 0:
                losses.append(loss.item())
            if step % EVERY == 0:   # now and then what a real run does besides training: evaluate, checkpoint
                with tg.no_grad():
                    accuracy = (model(loader.dataset.tensors[0]).argmax(1) == loader.dataset.tensors[1]).float().mean()
                buffer = io.BytesIO()
                tg.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step}, buffer)
                buffer.seek(0)
                opt.load_state_dict(tg.load(buffer)["optimizer"])
                samples.append((step, resident_bytes()))
            if step == STEPS:
                break
    elapsed = time.perf_counter() - start

    rss = dict(samples)
    warm, end = rss[WARM_UP], rss[STEPS]
    after_warm_up = [b for s, b in samples if s >= WARM_UP]
    growth = (end - warm) / warm
    worst = (max(after_warm_up) - warm) / warm
    with capsys.disabled():
        mib = 2 ** 20
        print(f"\nsoak: {STEPS} steps in {elapsed:.1f} s ({elapsed / STEPS * 1e3:.3f} ms/step); resident memory "
              f"start {rss[0] / mib:.1f} MiB, after warm-up ({WARM_UP} steps) {warm / mib:.1f} MiB, "
              f"end {end / mib:.1f} MiB; growth after warm-up {growth:+.2%} (largest {worst:+.2%}); "
              f"loss {losses[0]:.3g} -> {losses[-1]:.3g}")
        print("soak: resident MiB every 1000 steps: " + " ".join(f"{b / mib:.1f}" for _, b in samples))
    assert growth < 0.05 and worst < 0.05
    assert losses[-1] < 0.5 * losses[0] and accuracy.item() > 0.9   # and it trained all along
    assert all(np.isfinite(losses))
