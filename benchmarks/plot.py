"""The scaling figure (benchmarks/scaling.png): the tables of the scaling section, drawn.

Four panels, all log-log: step time against batch size, step time against depth, and the long
chain's forward + backward time and its bytes per node against its length, one line per engine.
"""
from __future__ import annotations

from pathlib import Path

from .harness import BASELINE
from .long_chain import ENGINES as CHAIN_ENGINES
from .long_chain import ChainResult
from .scaling import ENGINES as STEP_ENGINES
from .scaling import ScalingResult

STYLE = {BASELINE: dict(color="black", marker="o"), "tinygrad_la (nn)": dict(color="tab:blue", marker="s"),
         "tinygrad_la (compiled)": dict(color="tab:green", marker="^"), "tinygrad_la": dict(color="tab:blue", marker="s"),
         "PyTorch (nn)": dict(color="tab:orange", marker="D"), "PyTorch": dict(color="tab:orange", marker="D")}


def draw(scaling: ScalingResult | None, chains: ChainResult | None, path: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")          # no display: write the file only
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    (batch_ax, depth_ax), (time_ax, memory_ax) = axes
    if scaling is not None:
        for ax, sweep, key, label in ((batch_ax, "batch", "batch", "batch size N (depth 4)"),
                                      (depth_ax, "depth", "depth", "depth L (batch 64)")):
            rows = [r for r in scaling.rows if r.sweep == sweep]
            for engine in (e.name for e in STEP_ENGINES):
                xs = [getattr(r, key) for r in rows if r.median(engine) is not None]
                ys = [r.median(engine) * 1e3 for r in rows if r.median(engine) is not None]
                if xs:
                    ax.plot(xs, ys, label=engine, **STYLE.get(engine, {}))
            ax.set(xscale="log", yscale="log", xlabel=label, ylabel="one SGD step (ms)",
                   title=f"width-64 MLP step against {sweep}")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    if chains is not None:
        for engine in CHAIN_ENGINES:
            cells = [chains.get(engine, n) for n in chains.lengths]
            cells = [c for c in cells if c is not None and c.status == "ok"]
            if not cells:
                continue
            style = STYLE.get(engine, {})
            ops = [c.ops for c in cells]
            time_ax.plot(ops, [c.forward for c in cells], label=f"{engine} forward", linestyle="-", **style)
            time_ax.plot(ops, [c.backward for c in cells], label=f"{engine} backward", linestyle="--", **style)
            memory_ax.plot(ops, [c.bytes_per_node for c in cells], label=engine, **style)
        time_ax.set(xscale="log", yscale="log", xlabel="ops in the chain", ylabel="seconds",
                    title="long chain: forward (solid) and backward (dashed)")
        memory_ax.set(xscale="log", yscale="log", xlabel="ops in the chain", ylabel="peak bytes per node",
                      title="long chain: peak resident memory per node")
        for ax in (time_ax, memory_ax):
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.suptitle("tinygrad_la scaling (BLAS pinned to one thread; see RESULTS.md)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
