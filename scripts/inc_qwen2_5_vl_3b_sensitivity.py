#!/usr/bin/env python
"""INC 2.x PTQ with the mse_v2 strategy on Qwen2.5-VL, and the per-op sensitivity it computes.

Same flags as the seed driver (``--model-dir --calib-captions --max-calib-samples
--calib-batch-size --max-eval-prompts --eval-batch-size --max-seq-len --max-mse-ops
--output-path``) plus vlq options. Data comes from vlq's C++-backed loaders, wrapped in INC-safe
views; the eval function scores real tokens only and is paired with a criterion that can pass.

Outputs (next to ``--output-path``, or in ``--out-dir``): ``op_sensitivity_mse_v2_cpu.json`` and
``.md``. Ordering: in the fallback phase rank 1 (lowest residual MSE) is the MOST sensitive op.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Optional, Sequence

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The seed's flags and defaults, then vlq's additions."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model-dir", type=Path, default=DEFAULT_DATA / "qwen2_5_vl_3b_instruct")
    p.add_argument("--calib-captions", type=Path,
                   default=DEFAULT_DATA / "coco2017_vlm_calib" / "coco2017_captions.txt")
    p.add_argument("--max-calib-samples", type=int, default=512)
    p.add_argument("--calib-batch-size", type=int, default=8)
    p.add_argument("--max-eval-prompts", type=int, default=64)
    p.add_argument("--eval-batch-size", type=int, default=4)
    p.add_argument("--max-seq-len", type=int, default=256)
    p.add_argument("--max-mse-ops", type=int, default=32,
                   help="ops scored per sensitivity pass (0 = all); others stay INT8 while scoring")
    p.add_argument("--output-path", type=Path, default=Path("tmp/qwen2_5_vl_3b_inc/q_model.pt"),
                   help="where INC saves the quantized model; reports go to its directory")
    # vlq additions
    p.add_argument("--out-dir", type=Path, default=None, help="report directory (default: output-path's)")
    p.add_argument("--metric", choices=("inv_ppl", "neg_nll", "nll"), default="inv_ppl",
                   help="eval scalar; inv_ppl pairs with a relative criterion, the others with absolute")
    p.add_argument("--tolerable-loss", type=float, default=0.01)
    p.add_argument("--confidence-batches", type=int, default=2)
    p.add_argument("--max-trials", type=int, default=100)
    p.add_argument("--eval-batches", type=int, default=8, help="eval batches per eval_func call (seed: 8)")
    p.add_argument("--mse-include", default=None, help="regex: only these op names are scored")
    p.add_argument("--mse-exclude", default=r"^model\.visual\.",
                   help="regex: never score these (default: vision ops, not run by text-only batches)")
    p.add_argument("--sensitivity-pass", choices=("auto", "always", "never"), default="auto",
                   help="run one standalone fallback scan: auto = only if fit ran none")
    p.add_argument("--no-fit", action="store_true", help="skip PTQ; only the standalone scan")
    p.add_argument("--no-save", action="store_true", help="do not save the quantized model")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: leave torch's default)")
    args = p.parse_args(argv)
    if args.max_mse_ops < 0 or args.confidence_batches <= 0 or args.max_trials <= 0:
        p.error("--max-mse-ops must be >= 0, --confidence-batches and --max-trials > 0")
    return args


def build_loaders(args: argparse.Namespace) -> tuple[Any, Any]:
    """Calibration and eval loaders from vlq (disjoint samples, deterministic)."""
    from vlq.inc import QwenCalibConfig, build_qwen_calib_dataloader, build_qwen_eval_dataloader

    calib_cfg = QwenCalibConfig(captions_path=args.calib_captions, max_samples=args.max_calib_samples,
                                max_seq_len=args.max_seq_len, batch_size=args.calib_batch_size, shuffle=True)
    calib = build_qwen_calib_dataloader(model_dir=args.model_dir, config=calib_cfg)
    evald = build_qwen_eval_dataloader(model_dir=args.model_dir, num_prompts=args.max_eval_prompts,
                                       max_seq_len=args.max_seq_len, batch_size=args.eval_batch_size,
                                       config=calib_cfg)
    return calib, evald


def make_conf(args: argparse.Namespace) -> Any:
    """PTQ config: static, quant_level=1 (else INC ignores mse_v2), criterion matching the metric."""
    from neural_compressor.config import PostTrainingQuantConfig, TuningCriterion

    from vlq.inc.eval_func import inc_accuracy_criterion

    return PostTrainingQuantConfig(
        backend="default", device="cpu", approach="static", quant_level=1,
        tuning_criterion=TuningCriterion(strategy="mse_v2", max_trials=args.max_trials,
                                         strategy_kwargs={"confidence_batches": args.confidence_batches}),
        accuracy_criterion=inc_accuracy_criterion(args.metric, args.tolerable_loss),
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build data and model, run fit (+ optional standalone scan), write the reports."""
    import torch
    from neural_compressor import quantization
    from neural_compressor.config import options as nc_options
    from transformers import Qwen2_5_VLForConditionalGeneration

    from vlq.inc import make_qwen_eval_func
    from vlq.inc.adapters import inc_pytorch_view
    from vlq.inc.sensitivity import (capture_mse_v2, make_op_filter, run_fallback_sensitivity_pass,
                                     sensitivity_markdown, sensitivity_report)

    if not args.model_dir.is_dir():
        raise SystemExit(f"error: model directory not found: {args.model_dir}")
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    out_dir = args.out_dir or args.output_path.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    nc_options.workspace = str(out_dir / "nc_workspace")

    calib, evald = build_loaders(args)
    calib_view = inc_pytorch_view(calib)
    print(f"[INFO] calibration: {len(calib.dataset)} samples, eval: {len(evald.dataset)} samples")
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(str(args.model_dir), torch_dtype=torch.float32)
    model.eval()

    scores: list[float] = []
    inner_eval = make_qwen_eval_func(model, evald, max_batches=args.eval_batches, metric=args.metric)

    def eval_func(m: Any) -> float:
        value = inner_eval(m)
        scores.append(value)
        print(f"[INFO] eval_func #{len(scores)} ({args.metric}) = {value:.6g}")
        return value

    conf = make_conf(args)
    max_ops = args.max_mse_ops or None
    q_model, fit_seconds, capture = None, 0.0, None
    if not args.no_fit:
        start = time.perf_counter()
        with capture_mse_v2(make_op_filter(max_ops, args.mse_include, args.mse_exclude)) as capture:
            q_model = quantization.fit(model=model, conf=conf, calib_dataloader=calib_view, eval_func=eval_func)
        fit_seconds = time.perf_counter() - start
    standalone = args.sensitivity_pass == "always" or (
        args.sensitivity_pass == "auto" and (capture is None or not capture.fallback_passes()))
    if standalone:
        print("[INFO] running one standalone mse_v2 fallback-sensitivity scan")
        scan = run_fallback_sensitivity_pass(model, make_conf(args), calib_view, args.confidence_batches,
                                             make_op_filter(max_ops, args.mse_include, args.mse_exclude))
        capture = scan if capture is None else type(capture)(passes=capture.passes + scan.passes)

    reason = "" if q_model is not None else (
        "fit skipped (--no-fit)" if args.no_fit else
        "INC found no config meeting the accuracy criterion (or an exception was logged during tuning)")
    meta = {
        "backend": "pytorch_fx", "device": "cpu", "strategy": "mse_v2", "model_dir": str(args.model_dir),
        "confidence_batches": args.confidence_batches, "calib_samples": len(calib.dataset),
        "calib_batch_size": args.calib_batch_size, "eval_samples": len(evald.dataset),
        "max_seq_len": args.max_seq_len, "max_mse_ops": args.max_mse_ops,
        "mse_include": args.mse_include, "mse_exclude": args.mse_exclude, "metric": args.metric,
        "criterion": "relative" if args.metric == "inv_ppl" else "absolute", "tolerable_loss": args.tolerable_loss,
        "fp32_score": scores[0] if scores else None, "trial_scores": scores[1:],
        "quantized_model": q_model is not None, "no_model_reason": reason, "fit_seconds": round(fit_seconds, 3),
        "standalone_scan": standalone,
    }
    report = sensitivity_report(capture, meta) if capture is not None else {"meta": meta}
    json_path = out_dir / "op_sensitivity_mse_v2_cpu.json"
    md_path = out_dir / "op_sensitivity_mse_v2_cpu.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if capture is not None:
        md_path.write_text(sensitivity_markdown(report), encoding="utf-8")
    print(f"[INFO] wrote {json_path}")
    if q_model is None:
        print(f"[WARN] no quantized model: {reason}")
    elif not args.no_save:
        q_model.save(str(args.output_path))  # INC writes a directory (config + state dict), as in the seed
        print(f"[INFO] saved quantized model under {args.output_path}")
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    """CLI entry: 0 on a completed run (also when INC returns no model: that is reported)."""
    run(parse_args(argv))
    return 0


if __name__ == "__main__":
    sys.exit(main())
