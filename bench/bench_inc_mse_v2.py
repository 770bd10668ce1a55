#!/usr/bin/env python
"""Baseline: INC 2.x ``mse_v2`` sensitivity cost per scored op on a tiny Qwen2.5-VL checkpoint.

This is the number vlq's native sensitivity engine is compared against. It runs exactly INC's
scan (``adaptor.calculate_op_sensitivity(fallback=True)`` via
``vlq.inc.sensitivity.run_fallback_sensitivity_pass``): per candidate op INC deep-copies the
FP32 model, prepares/calibrates/converts the FX sub-graphs and runs it once. Each entry of a
captured scan is one such rebuild, so ``seconds / rebuilds`` is the per-scored-op cost.

Usage: bench/bench_inc_mse_v2.py [--variant tiny_a] [--max-ops 4] [--threads 1] [--repeat 1]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "python"))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--variant", default="tiny_a", help="tiny_checkpoints variant or 'inc_micro'")
    p.add_argument("--model-dir", type=Path, default=None, help="use this checkpoint instead of --variant")
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "vlq" / "test-checkpoints")
    p.add_argument("--max-ops", type=int, default=4)
    p.add_argument("--exclude", default=r"^model\.visual\.", help="regex of op names not scored")
    p.add_argument("--samples", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--max-seq-len", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeat", type=int, default=1)
    return p.parse_args()


def model_dir_for(args: argparse.Namespace) -> Path:
    """The checkpoint to measure (built on demand with the test helpers)."""
    if args.model_dir is not None:
        return args.model_dir
    import inc_micro_checkpoint  # noqa: F401  (registers the inc_micro variant)
    import tiny_checkpoints

    return tiny_checkpoints.make_checkpoint(args.variant, args.cache)


def main() -> int:
    args = parse_args()
    import torch
    from neural_compressor.config import PostTrainingQuantConfig, options
    from transformers import Qwen2_5_VLForConditionalGeneration

    from vlq.inc import QwenCalibConfig, build_qwen_calib_dataloader
    from vlq.inc.adapters import inc_pytorch_view
    from vlq.inc.sensitivity import make_op_filter, run_fallback_sensitivity_pass
    from inc_micro_checkpoint import CAPTIONS

    torch.set_num_threads(args.threads)
    options.workspace = "/tmp/vlq-bench-nc-workspace"
    md = model_dir_for(args)
    calib = build_qwen_calib_dataloader(md, QwenCalibConfig(captions_path=CAPTIONS, max_samples=args.samples,
                                                            max_seq_len=args.max_seq_len,
                                                            batch_size=args.batch_size, shuffle=False))
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(str(md), torch_dtype=torch.float32).eval()
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    per_op = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        capture = run_fallback_sensitivity_pass(model, PostTrainingQuantConfig(approach="static", quant_level=1),
                                                inc_pytorch_view(calib), 1,
                                                make_op_filter(args.max_ops, exclude=args.exclude))
        total = time.perf_counter() - start
        scan_pass = capture.fallback_passes()[0]
        scans = scan_pass.scans
        rebuilds = sum(len(s) for s in scans)
        per_op.append((total, scan_pass.seconds, rebuilds))
    result = {
        "checkpoint": str(md), "linear_modules": n_linear, "threads": args.threads,
        "calib": f"{args.samples} samples, batch {args.batch_size}, max_seq_len {args.max_seq_len}",
        "scored_ops": len(scans[0]), "rebuilds_per_pass": per_op[0][2],
        "total_seconds": [round(t, 2) for t, _, _ in per_op],
        "scan_seconds": [round(s, 2) for _, s, _ in per_op],
        "seconds_per_scored_op_median": round(statistics.median(s / r for _, s, r in per_op), 2),
        "note": "total includes INC's all-INT8 quantize before the scan; scan = get_mse_order_per_fp32 "
                "(FP32 reference forward + one rebuild per scan entry)",
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
