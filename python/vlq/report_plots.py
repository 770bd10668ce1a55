"""PNG plots for vlq sensitivity and PTQ reports (matplotlib, Agg backend).

    python -m vlq.report_plots OUT_DIR

Reads OUT_DIR/sensitivity.json and/or OUT_DIR/ptq_report.json (written by `vlq sensitivity`,
`vlq merge`, `vlq ptq`) and writes:
  sensitivity_top_<method>.png   bar chart of the most sensitive ops (rank 1 at the top)
  sensitivity_heatmap_<method>.png  layer x op kind heat map of the score (log10 scale)
  ptq_eval_vs_fallback.png       eval scalar of every tuner trial vs number of ops in float
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def sensitivity_plots(out: Path, top: int = 25) -> list[Path]:
    plt = _plt()
    report = json.loads((out / "sensitivity.json").read_text())
    written = []
    for method, data in report["methods"].items():
        rows = data["ranking"][:top]
        fig, ax = plt.subplots(figsize=(10, max(3, 0.3 * len(rows) + 1)))
        ax.barh([r["op"] for r in rows][::-1], [r["score"] for r in rows][::-1], color="tab:red")
        ax.set_xlabel("score (higher = more sensitive)")
        ax.set_title(f"{method}: top {len(rows)} of {len(data['ranking'])} ops, scheme {report['scheme']}")
        fig.tight_layout()
        path = out / f"sensitivity_top_{method}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

        kinds = sorted({r["kind"] for r in data["ranking"]})
        towers_layers = sorted({(r["tower"], r["layer"]) for r in data["ranking"]})
        grid = [[math.nan] * len(kinds) for _ in towers_layers]
        for r in data["ranking"]:
            s = r["score"]
            grid[towers_layers.index((r["tower"], r["layer"]))][kinds.index(r["kind"])] = (
                math.log10(s) if s > 0 else math.nan)
        fig, ax = plt.subplots(figsize=(1.2 * len(kinds) + 3, 0.25 * len(towers_layers) + 2))
        im = ax.imshow(grid, aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(kinds)), kinds, rotation=45, ha="right")
        ax.set_yticks(range(len(towers_layers)), [f"{t[0]} {t[1]}" for t in towers_layers])
        fig.colorbar(im, ax=ax, label="log10 score")
        ax.set_title(f"{method}: sensitivity by layer x op kind")
        fig.tight_layout()
        path = out / f"sensitivity_heatmap_{method}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def ptq_plot(out: Path) -> list[Path]:
    plt = _plt()
    report = json.loads((out / "ptq_report.json").read_text())
    trials = report["trials"]
    fig, ax = plt.subplots(figsize=(7, 4))
    xs = [t["fallback_count"] for t in trials]
    ys = [t["eval"] for t in trials]
    ax.scatter(xs, ys, c=["tab:green" if t["meets"] else "tab:red" for t in trials], zorder=3)
    for i, (x, y) in enumerate(zip(xs, ys)):
        ax.annotate(str(i + 1), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.axhline(report["target"], color="k", linestyle="--", label="target")
    ax.axhline(report["baseline"], color="tab:blue", linestyle=":", label="float baseline")
    ax.set_xlabel("ops kept in float (most sensitive first)")
    ax.set_ylabel("eval scalar (-mean NLL, higher is better)")
    ax.set_title(f"PTQ {report['scheme']}: {report['evaluations']} evaluations, "
                 f"{report['fallback_count']} fallback ops")
    ax.legend()
    fig.tight_layout()
    path = out / "ptq_eval_vs_fallback.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    written = []
    if (out / "sensitivity.json").exists():
        written += sensitivity_plots(out)
    if (out / "ptq_report.json").exists():
        written += ptq_plot(out)
    if not written:
        print(f"{out}: no sensitivity.json or ptq_report.json", file=sys.stderr)
        return 1
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
