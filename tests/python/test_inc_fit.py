"""Real INC 2.x runs (PyTorch FX adaptor, mse_v2) on a micro Qwen2.5-VL checkpoint.

1. The seed driver's call sequence, with vlq.inc in place of the seed module and the *plain*
   vlq loader handed straight to ``fit`` (as the seed does).
2. vlq's driver script end to end (fit through the INC-safe view + one captured mse_v2
   fallback scan), checking the sensitivity JSON names real modules and is ordered as INC orders.
Each INC run takes tens of seconds on 2 cores; the micro checkpoint keeps the file to ~2 min.
"""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
import torch

from inc_micro_checkpoint import CAPTIONS, REPO, micro_checkpoint

transformers = pytest.importorskip("transformers")
pytest.importorskip("neural_compressor")

from neural_compressor import quantization  # noqa: E402
from neural_compressor.config import PostTrainingQuantConfig, TuningCriterion  # noqa: E402

from vlq.inc import (QwenCalibConfig, build_qwen_calib_dataloader,  # noqa: E402
                     build_qwen_eval_dataloader, make_qwen_eval_func)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return micro_checkpoint()


def _load(model_dir: Path) -> torch.nn.Module:
    model = transformers.Qwen2_5_VLForConditionalGeneration.from_pretrained(str(model_dir), torch_dtype=torch.float32)
    model.to("cpu")
    return model.eval()


def _quantized_linears(module: torch.nn.Module) -> list[str]:
    return [n for n, m in module.named_modules() if isinstance(m, torch.ao.nn.quantized.Linear)]


def test_seed_driver_call_sequence_with_plain_loaders(model_dir, tmp_path):
    """The seed driver's exact calls; only the data module differs (and the eval default)."""
    from neural_compressor.config import options as nc_options

    nc_options.workspace = str(tmp_path / "nc_workspace")
    calib_cfg = QwenCalibConfig(captions_path=CAPTIONS, max_samples=4, max_seq_len=32, batch_size=2, shuffle=True)
    calib_dataloader = build_qwen_calib_dataloader(model_dir=model_dir, config=calib_cfg)
    eval_dataloader = build_qwen_eval_dataloader(model_dir=model_dir, num_prompts=4, max_seq_len=32, batch_size=2,
                                                 config=calib_cfg)
    assert len(calib_dataloader.dataset) == 4 and len(eval_dataloader.dataset) == 4
    model = _load(model_dir)
    eval_func = make_qwen_eval_func(model=model, dataloader=eval_dataloader, max_batches=8)
    fp32 = eval_func(model)
    conf = PostTrainingQuantConfig(
        backend="default", device="cpu", approach="static", quant_level=1,
        tuning_criterion=TuningCriterion(strategy="mse_v2", strategy_kwargs={"confidence_batches": 2}))
    q_model = quantization.fit(model=model, conf=conf, calib_dataloader=calib_dataloader, eval_func=eval_func)

    # Default criterion is relative 1 %; with 1/PPL a near-lossless INT8 model passes.
    assert q_model is not None, "INC returned no model (see its log: criterion or a swallowed exception)"
    assert type(q_model).__name__ == "PyTorchFXModel"
    names = _quantized_linears(q_model.model)
    assert any(n.endswith(".module") for n in names), names  # Linear wrapped in a traced sub-graph
    assert "lm_head.module" in names
    q_score = eval_func(q_model)  # INC's wrapper ...
    assert q_score == eval_func(q_model.model)  # ... and the module inside give the same score
    assert q_score >= fp32 * (1 - 0.01)
    assert q_score != fp32  # the weights really changed
    assert math.isclose(eval_func(model), fp32)  # fit did not modify the FP32 model


def _load_driver():
    path = REPO / "scripts" / "inc_qwen2_5_vl_3b_sensitivity.py"
    spec = importlib.util.spec_from_file_location("inc_sensitivity_driver", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_driver_writes_ordered_sensitivity_with_real_op_names(model_dir, tmp_path):
    driver = _load_driver()
    out = tmp_path / "out"
    report = driver.run(driver.parse_args([
        "--model-dir", str(model_dir), "--calib-captions", str(CAPTIONS), "--max-calib-samples", "4",
        "--calib-batch-size", "2", "--max-eval-prompts", "4", "--eval-batch-size", "2", "--max-seq-len", "32",
        "--max-mse-ops", "2", "--confidence-batches", "1", "--output-path", str(out / "q_model"),
        "--sensitivity-pass", "always",
    ]))
    on_disk = json.loads((out / "op_sensitivity_mse_v2_cpu.json").read_text())
    assert on_disk == json.loads(json.dumps(report))
    meta = report["meta"]
    assert meta["quantized_model"] is True and meta["fp32_score"] > 0
    assert (out / "q_model").is_dir()

    rows = report["fp32_fallback_sensitivity"]
    assert len(rows) == 2  # --max-mse-ops
    model = _load(model_dir)
    for row in rows:
        assert not row["op_name"].startswith("model.visual.")  # default exclusion
        module_name = row["op_name"].removesuffix(".module")
        assert isinstance(model.get_submodule(module_name), torch.nn.Module)
        assert row["mse"] > 0 and math.isfinite(row["mse"])
    assert [r["mse"] for r in rows] == sorted(r["mse"] for r in rows)
    assert [r["rank"] for r in rows] == [1, 2]

    # The order INC acted on equals our ascending ranking of the pass's last scan.
    standalone = report["passes"][-1]
    assert standalone["phase"] == "fallback"
    last_scan = standalone["scans"][-1]
    assert standalone["returned_order"] == [[r["op_name"], r["op_type"]] for r in last_scan] or (
        # ties keep INC's candidate order in both lists; only equal values may be permuted
        len({r["mse"] for r in last_scan}) < len(last_scan))
    md = (out / "op_sensitivity_mse_v2_cpu.md").read_text()
    assert "rank 1 = most sensitive" in md and rows[0]["op_name"] in md
