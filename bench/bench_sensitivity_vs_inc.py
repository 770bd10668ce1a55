#!/usr/bin/env python
"""Per-op sensitivity cost, vlq vs INC 2.x mse_v2, on the same checkpoint and calibration data,
side by side in one run, same thread count.

  INC   adaptor.calculate_op_sensitivity(fallback=True) scan (what `fit` with mse_v2 runs): per
        scored op a deep copy of the FP32 model, FX prepare/calibrate/convert, one forward on
        the confidence batches. Per-op cost = scan seconds / rebuilds (INC's all-INT8 quantize
        before the scan is not counted).
  vlq   `vlq sensitivity --method M` over every language-model Linear. Per-op cost = the mean of
        the per-op seconds its JSONL log records (the marginal cost, like INC's); also shown:
        the whole command's wall time (model load, calibration, baselines) / ops scored.

Usage: bench/bench_sensitivity_vs_inc.py [--variant tiny_a] [--inc-ops 4] [--threads 1]
The `vlq` CLI is taken from $VLQ_BUILD_DIR, else the venv, else PATH.
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
sys.path.insert(0, str(REPO / "tests" / "python"))

METHODS = ["local", "output", "loss", "fallback"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--variant", default="tiny_a", help="tiny_checkpoints variant or 'inc_micro'")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "vlq" / "test-checkpoints")
    p.add_argument("--samples", type=int, default=4, help="calibration (and eval) samples")
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--max-seq-len", type=int, default=64)
    p.add_argument("--inc-ops", type=int, default=4, help="ops INC scores (each is a model rebuild)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--methods", default=",".join(METHODS))
    return p.parse_args()


def vlq_cli() -> str:
    build = os.environ.get("VLQ_BUILD_DIR")
    if build and (Path(build) / "vlq").exists():
        return str(Path(build) / "vlq")
    venv = Path(sys.executable).parent / "vlq"
    if venv.exists():
        return str(venv)
    found = shutil.which("vlq")
    if not found:
        sys.exit("vlq CLI not found: set VLQ_BUILD_DIR or pip install .")
    return found


def run_vlq(args: list[str]) -> float:
    start = time.perf_counter()
    r = subprocess.run([vlq_cli(), *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"vlq {' '.join(args)} failed:\n{r.stderr}")
    return seconds


def inc_seconds_per_op(model_dir: Path, captions: Path, a: argparse.Namespace) -> tuple[float, int]:
    import torch
    from neural_compressor.config import PostTrainingQuantConfig, options
    from transformers import Qwen2_5_VLForConditionalGeneration

    from vlq.inc import QwenCalibConfig, build_qwen_calib_dataloader
    from vlq.inc.adapters import inc_pytorch_view
    from vlq.inc.sensitivity import make_op_filter, run_fallback_sensitivity_pass

    torch.set_num_threads(a.threads)
    options.workspace = tempfile.mkdtemp(prefix="vlq-bench-nc-")
    calib = build_qwen_calib_dataloader(model_dir, QwenCalibConfig(
        captions_path=captions, max_samples=a.samples, max_seq_len=a.max_seq_len,
        batch_size=a.batch_size, shuffle=False))
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(str(model_dir), torch_dtype=torch.float32).eval()
    capture = run_fallback_sensitivity_pass(model, PostTrainingQuantConfig(approach="static", quant_level=1),
                                            inc_pytorch_view(calib), 1,
                                            make_op_filter(a.inc_ops, exclude=r"^model\.visual\."))
    scan = capture.fallback_passes()[0]
    rebuilds = sum(len(s) for s in scan.scans)
    return scan.seconds / rebuilds, rebuilds


def main() -> int:
    a = parse_args()
    import inc_micro_checkpoint  # noqa: F401  (registers the inc_micro variant)
    import tiny_checkpoints
    from inc_micro_checkpoint import CAPTIONS

    model_dir = tiny_checkpoints.make_checkpoint(a.variant, a.cache)
    work = Path(tempfile.mkdtemp(prefix="vlq-bench-sens-"))
    try:
        # The same captions, sample count, batch size and truncation INC calibrates with.
        run_vlq(["data", "--model", str(model_dir), "--captions", str(CAPTIONS),
                 "--max-samples", str(a.samples), "--eval-samples", str(a.samples),
                 "--eval-holdout", str(max(a.samples, 1)), "--batch-size", str(a.batch_size),
                 "--eval-batch-size", str(a.batch_size), "--max-seq-len", str(a.max_seq_len),
                 "--out", str(work / "data")])
        common = ["--model", str(model_dir), "--calib", str(work / "data" / "calib"),
                  "--eval", str(work / "data" / "eval"), "--include", "model.layers.*",
                  "--threads", str(a.threads), "--quiet"]
        vlq = {}
        for method in a.methods.split(","):
            out = work / method
            seconds = run_vlq(["sensitivity", *common, "--method", method,
                               "--confidence-batches", str(max(1, a.samples // a.batch_size)),
                               "--out", str(out)])
            records = [json.loads(line) for line in (out / f"{method}.jsonl").read_text().splitlines()]
            marginal = sum(r["seconds"] for r in records) / len(records)
            vlq[method] = (marginal, seconds / len(records), len(records))
        inc_per_op, rebuilds = inc_seconds_per_op(model_dir, CAPTIONS, a)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"checkpoint {model_dir.name}: {a.samples} calibration samples, batch {a.batch_size}, "
          f"max_seq_len {a.max_seq_len}, {a.threads} thread(s)")
    print("per-op: INC = scan seconds / rebuilds; vlq = mean of the per-op seconds in the JSONL log "
          "(local: its calibration passes spread over the ops); whole: the command's wall time / ops")
    print(f"{'method':28s} {'ops':>5s} {'s/op':>10s} {'x INC':>8s} {'whole s/op':>11s} {'x INC':>8s}")
    print(f"{'INC mse_v2 (fallback scan)':28s} {rebuilds:5d} {inc_per_op:10.4f} {1.0:8.1f}")
    for method, (marginal, whole, ops) in vlq.items():
        print(f"{'vlq ' + method:28s} {ops:5d} {marginal:10.4f} {inc_per_op / marginal:8.1f} "
              f"{whole:11.4f} {inc_per_op / whole:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
