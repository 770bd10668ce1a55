"""`vlq eval` end to end against transformers: an eval dataset is written by `vlq data --out`
(real COCO captions from shared/data, tokenized with the real Qwen tokenizer files), scored by
`vlq eval` on a tiny random checkpoint, and the printed scalar / per-sample JSONL are compared with
the same computation done with HF Qwen2_5_VLForConditionalGeneration (fp32, eager) on the same
collated batches (read back through vlq._core.read_dataset).

Tolerance: relative 1e-6 on the scalar and per-sample NLL sums (fp32 logits agree to ~1e-6
absolute, see test_model_parity.py; NLLs are ~12 per token). The scalar is printed with 6
decimals, i.e. ≤ 5e-7 absolute rounding on a value of ~12.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from vlq import _core  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_model_parity import hf_model  # noqa: E402  (tiny_root comes from conftest.py)

REPO = Path(__file__).resolve().parents[2]
DATA_ROOT = Path(os.environ.get("VLQ_DATA_ROOT", REPO.parent / "shared" / "data"))
RTOL = 1e-6


def vlq_exe() -> str:
    build = os.environ.get("VLQ_BUILD_DIR")
    if build and (Path(build) / "vlq").exists():
        return str(Path(build) / "vlq")
    return str(Path(sys.executable).parent / "vlq")


@pytest.fixture(scope="module")
def eval_dataset(tmp_path_factory, tiny_root):
    out = tmp_path_factory.mktemp("evalds")
    subprocess.run([vlq_exe(), "data", "--data-root", str(DATA_ROOT), "--model", str(tiny_root / "tiny_b"),
                    "--captions", str(DATA_ROOT / "coco2017_vlm_calib" / "coco2017_captions.txt"),
                    "--max-samples", "8", "--eval-samples", "7", "--eval-holdout", "7",
                    "--eval-batch-size", "3", "--out", str(out)], check=True, capture_output=True)
    return out / "eval"


def hf_batches(dataset_dir):
    loader, _ = _core.read_dataset(str(dataset_dir))
    return [loader.collate(rows) for rows in loader.batch_plan(0)]


def run_eval(model_dir, dataset_dir, *extra):
    r = subprocess.run([vlq_exe(), "eval", "--model", str(model_dir), "--data", str(dataset_dir), "--quiet",
                        "--threads", "2", *extra], check=True, capture_output=True, text=True)
    return float(re.search(r"score (-?[0-9.]+)", r.stdout).group(1))


def test_eval_score_and_samples_match_hf(tiny_root, eval_dataset, tmp_path):
    model_dir = tiny_root / "tiny_b"
    scores_path = tmp_path / "scores.jsonl"
    score = run_eval(model_dir, eval_dataset, "--out", str(scores_path))
    hf = hf_model(model_dir)
    total, count, rows = 0.0, 0, []
    batches = hf_batches(eval_dataset)
    assert len(batches) >= 2
    for b in batches:
        ids, mask, labels = (torch.from_numpy(np.asarray(b[k])) for k in ("input_ids", "attention_mask", "labels"))
        with torch.no_grad():
            logits = hf(input_ids=ids, attention_mask=mask).logits.double()
        ce = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), labels[:, 1:],
                                               ignore_index=-100, reduction="none")
        for i in range(ids.shape[0]):
            n = int((labels[i, 1:] != -100).sum())
            rows.append((b["sample_index"][i], float(ce[i].sum()), n))
        total += float(ce.sum())
        count += int((labels[:, 1:] != -100).sum())
    assert abs(score - (-total / count)) <= RTOL * (total / count)
    lines = [json.loads(line) for line in scores_path.read_text().splitlines()]
    assert [(d["sample_index"], d["tokens"]) for d in lines] == [(s, n) for s, _, n in rows]
    for d, (_, nll_sum, _) in zip(lines, rows):
        assert abs(d["nll_sum"] - nll_sum) <= RTOL * nll_sum


def test_seed_compat_weighting_matches_hf_recipe(tiny_root, eval_dataset):
    """--compat seed: labels = input_ids (pads included), HF's mean loss per batch × mask sum,
    divided by the total mask sum."""
    model_dir = tiny_root / "tiny_b"
    score = run_eval(model_dir, eval_dataset, "--compat", "seed")
    hf = hf_model(model_dir)
    weighted, mask_total = 0.0, 0
    for b in hf_batches(eval_dataset):
        ids, mask = torch.from_numpy(np.asarray(b["input_ids"])), torch.from_numpy(np.asarray(b["attention_mask"]))
        with torch.no_grad():
            loss = hf(input_ids=ids, attention_mask=mask, labels=ids).loss
        weighted += float(loss) * int(mask.sum())
        mask_total += int(mask.sum())
    assert abs(score - (-weighted / mask_total)) <= RTOL * (weighted / mask_total)


def test_eval_errors_are_one_line(tmp_path, eval_dataset):
    r = subprocess.run([vlq_exe(), "eval", "--model", str(tmp_path), "--data", str(eval_dataset), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and str(tmp_path) in r.stderr
    (tmp_path / "config.json").write_text((DATA_ROOT / "qwen2_5_vl_3b_instruct" / "config.json").read_text())
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x02}q\x00.")
    r = subprocess.run([vlq_exe(), "eval", "--model", str(tmp_path), "--data", str(eval_dataset), "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "convert to safetensors" in r.stderr and r.stderr.count("\n") == 1
