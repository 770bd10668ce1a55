#!/usr/bin/env python
"""All-op sensitivity time at the real Qwen2.5-VL-3B shape (random bf16 weights, language model),
on this machine, and projected to a 16-core machine.

The checkpoint is the one bench/bench_model.py generates (never committed). Data: real COCO
captions through the real tokenizer (`vlq data`). For each method, `vlq sensitivity` runs at 1
and at 2 threads:
  local    over all language-model Linears (its cost is two calibration passes, shared by all ops)
  output   over the ops of a few layers spread over the depth (an op costs the layers from its
           own to the final hidden state on the confidence batches), extrapolated to all ops
`output` runs twice per thread count: resuming each op at its decoder layer (the default) and
with --full-forward-per-op (the whole model per op), so the gain of resuming is measured in the
same run. Sampled layers come in execution order, so the resumed per-op mean includes carrying
the float stream forward across the gaps between them (a full run over all ops pays that once);
read its extrapolation as an upper bound.
The all-op time is fixed cost (whole command − Σ per-op seconds in the JSONL log) + ops × mean
per-op seconds. The 16-core projection fits Amdahl's law t(n) = s + p/n to the 1- and 2-thread
times of each part: it assumes the parallel part (OpenBLAS sgemm, the threaded kernels) keeps
scaling linearly to 16 cores and memory bandwidth does not become the limit, so read it as an
optimistic estimate.

Usage: bench/bench_sensitivity_3b.py [--samples 8] [--sample-layers 3] [--methods local,output] [--threads 1,2]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from bench_model import CACHE, make_random_3b  # noqa: E402


def vlq_cli() -> str:
    build = os.environ.get("VLQ_BUILD_DIR")
    if build and (Path(build) / "vlq").exists():
        return str(Path(build) / "vlq")
    venv = Path(sys.executable).parent / "vlq"
    return str(venv) if venv.exists() else (shutil.which("vlq") or sys.exit("vlq CLI not found"))


def run(args: list[str]) -> float:
    start = time.perf_counter()
    r = subprocess.run([vlq_cli(), *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"vlq {' '.join(args)} failed:\n{r.stderr}")
    return time.perf_counter() - start


def sampled_ops(layers: int, count: int) -> list[str]:
    """Every Linear of `count` decoder layers spread evenly from the first to the last. Whole
    layers, because a run over all ops scores a layer's 7 ops from one carried-forward stream;
    an op resumed at layer l costs the layers l..end, so the mean over evenly spread layers is
    the all-op mean (plus carrying the stream across the gaps, which a full run pays once)."""
    kinds = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
             "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
    picks = []
    for i in range(count):
        layer = round(i * (layers - 1) / max(count - 1, 1))
        picks += [f"model.layers.{layer}.{kind}" for kind in kinds]
    return picks


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-root", type=Path,
                   default=Path(os.environ.get("VLQ_DATA_ROOT") or REPO.parent / "shared" / "data"))
    p.add_argument("--samples", type=int, default=8, help="calibration samples (batch 4, <= 64 tokens)")
    p.add_argument("--sample-layers", type=int, default=3, help="layers whose 7 ops --method output times")
    p.add_argument("--methods", default="local,output")
    p.add_argument("--threads", default="1,2")
    a = p.parse_args()

    model = make_random_3b(CACHE / "qwen2_5_vl_3b_random_bf16")
    cfg = json.loads((model / "config.json").read_text())
    layers = cfg.get("num_hidden_layers") or cfg["text_config"]["num_hidden_layers"]
    all_ops = 7 * layers
    work = Path(tempfile.mkdtemp(prefix="vlq-bench-3b-"))
    results: dict[str, dict[int, tuple[float, float, int]]] = {}
    try:
        run(["data", "--model", str(a.data_root / "qwen2_5_vl_3b_instruct"),
             "--captions", str(a.data_root / "coco2017_vlm_calib" / "coco2017_captions.txt"),
             "--max-samples", str(a.samples), "--eval-samples", str(a.samples), "--batch-size", "4",
             "--eval-batch-size", "4", "--max-seq-len", "64", "--out", str(work / "data")])
        for method in a.methods.split(","):
            include = ["--include", "model.layers.*"] if method == "local" else \
                [x for op in sampled_ops(layers, a.sample_layers) for x in ("--include", op)]
            variants = [("", [])] if method == "local" else [("", []), ("-full", ["--full-forward-per-op"])]
            for threads in [int(t) for t in a.threads.split(",")]:
                for suffix, extra in variants:
                    label = method + suffix
                    out = work / f"{label}-{threads}"
                    whole = run(["sensitivity", "--model", str(model), "--calib", str(work / "data" / "calib"),
                                 "--eval", str(work / "data" / "eval"), "--threads", str(threads), "--quiet",
                                 "--method", method, "--confidence-batches", "1", *include, *extra,
                                 "--out", str(out)])
                    records = [json.loads(x) for x in (out / f"{method}.jsonl").read_text().splitlines()]
                    per_op = sum(r["seconds"] for r in records)
                    fixed = whole - per_op
                    results.setdefault(label, {})[threads] = (fixed, per_op / len(records), len(records))
                    print(f"  {label} threads={threads}: {len(records)} ops, whole {whole:.1f} s, "
                          f"per op {per_op / len(records):.2f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def all_op(fixed: float, per_op: float) -> float:
        return fixed + all_ops * per_op

    def amdahl16(t1: float, t2: float) -> float:
        parallel = max(0.0, 2 * (t1 - t2))
        return max(t1 - parallel, 0.0) + parallel / 16

    print(f"\nQwen2.5-VL-3B shape, random bf16 weights, {all_ops} language-model Linears, "
          f"{a.samples} calibration samples (batch 4, <= 64 tokens), 1 confidence batch")
    print(f"{'method':12s} {'threads':>7s} {'fixed s':>9s} {'s/op':>8s} {'all ops (min)':>14s}")
    for method, by_threads in results.items():
        for threads, (fixed, per_op, _) in sorted(by_threads.items()):
            print(f"{method:12s} {threads:7d} {fixed:9.1f} {per_op:8.2f} {all_op(fixed, per_op) / 60:14.1f}")
        if 1 in by_threads and 2 in by_threads:
            (f1, o1, _), (f2, o2, _) = by_threads[1], by_threads[2]
            t16 = all_op(amdahl16(f1, f2), amdahl16(o1, o2))
            print(f"{method:12s} {'16*':>7s} {amdahl16(f1, f2):9.1f} {amdahl16(o1, o2):8.2f} {t16 / 60:14.1f}")
    for threads in sorted(results.get("output", {})):
        if threads in results.get("output-full", {}):
            print(f"output per op at {threads} threads: resumed at the op's layer "
                  f"{results['output-full'][threads][1] / results['output'][threads][1]:.2f}x faster than the whole model per op")
    print("* projected: Amdahl fit to the 1- and 2-thread times (optimistic, see the docstring)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
