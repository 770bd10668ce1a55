"""`vlq sensitivity` / `vlq merge` / `vlq ptq` end to end on a tiny random Qwen2.5-VL checkpoint.

A copy of tiny_a gets a deliberately damaged op: input column J of model.layers.1.mlp.down_proj
is multiplied by K and row J of up_proj divided by K. Since down_proj's input is silu(gate)*up,
the float model is unchanged (up to fp32 rounding), but down_proj's per-output-channel weight
scales are ruined and its input activation range is stretched — every method must rank it first.
Runs use --threads 1 so float sums are reproducible for the byte-equality checks.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from _data_support import CALIB_DIR
from _data_support import vlq_cli as _installed_cli


def vlq_cli() -> str:
    """$VLQ_CLI (e.g. a build-tree binary) or the installed `vlq`."""
    return os.environ.get("VLQ_CLI") or _installed_cli()

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("VLQ_TEST_CACHE", Path.home() / ".cache" / "vlq" / "test-quant"))
DAMAGED = "model.layers.1.mlp.down_proj"
J, K = 7, 1000.0
LM_OPS = ["--include", "model.layers.*"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([vlq_cli(), *args], capture_output=True, text=True, timeout=900)
    if check:
        assert r.returncode == 0, r.stderr[-2000:]
    return r


@pytest.fixture(scope="module")
def setup():
    sys.path.insert(0, str(HERE))
    from tiny_checkpoints import make_checkpoint
    from safetensors.numpy import load_file, save_file

    CACHE.mkdir(parents=True, exist_ok=True)
    tiny = make_checkpoint("tiny_a", CACHE)
    damaged = CACHE / f"tiny_a_damaged_k{int(K)}"
    if not (damaged / "model.safetensors").exists():
        part = CACHE / f"tiny_a_damaged_k{int(K)}.partial"
        part.mkdir(exist_ok=True)
        for f in tiny.iterdir():
            if f.name != "model.safetensors":
                (part / f.name).write_bytes(f.read_bytes())
        t = load_file(str(tiny / "model.safetensors"))
        t[f"{DAMAGED}.weight"] = t[f"{DAMAGED}.weight"].copy()
        t[f"{DAMAGED}.weight"][:, J] *= K
        up = "model.layers.1.mlp.up_proj.weight"
        t[up] = t[up].copy()
        t[up][J, :] /= K
        save_file(t, str(part / "model.safetensors"), metadata={"format": "pt"})
        part.rename(damaged)
    data = CACHE / "data"
    if not (data / "eval" / "manifest.json").exists():
        run("data", "--model", str(tiny), "--captions", str(CALIB_DIR / "coco2017_captions_small.txt"),
            "--max-samples", "6", "--eval-samples", "6", "--eval-holdout", "6", "--batch-size", "3",
            "--eval-batch-size", "3", "--max-seq-len", "48", "--out", str(data))
    return damaged, data


def common(setup):
    model, data = setup
    return ["--model", str(model), "--calib", str(data / "calib"), "--eval", str(data / "eval"),
            "--threads", "1", "--quiet", *LM_OPS]


def test_every_method_ranks_the_damaged_op_first(setup, tmp_path):
    out = tmp_path / "sens"
    run("sensitivity", *common(setup), "--scheme", "w8a8", "--method", "local,loss,output,fallback",
        "--out", str(out))
    report = json.loads((out / "sensitivity.json").read_text())
    assert report["op_count"] == 14  # 2 layers x 7 Linears; vision ops are not selected
    for method in ["local", "loss", "output", "fallback"]:
        ranking = report["methods"][method]["ranking"]
        assert ranking[0]["op"] == DAMAGED, (method, ranking[:3])
        assert ranking[0]["score"] > ranking[1]["score"]
    # Hooks with nothing quantized reproduce the float eval scalar exactly.
    b = report["baselines"]
    assert b["eval_no_op_quantized"] == b["eval_float"]
    assert len(report["spearman"]) == 6
    for name in ["sensitivity.csv", "sensitivity.md"]:
        assert (out / name).stat().st_size > 0
    assert "rank 1 = most sensitive" in (out / "sensitivity.md").read_text()


def test_output_method_in_hidden_space_equals_full_logits(setup, tmp_path):
    """`output` scores through lm_head's Gram matrix; --output-kl materialises the logits of every
    run instead. On the real tiny model (151,936-token vocabulary) both give the same sum of
    squared logit errors per op: 1e-4 relative covers fp32 rounding of the two GEMM orders."""
    fast, full = tmp_path / "gram", tmp_path / "logits"
    run("sensitivity", *common(setup), "--method", "output", "--out", str(fast))
    run("sensitivity", *common(setup), "--method", "output", "--output-kl", "--out", str(full))
    a = {r["op"]: r for r in json.loads((fast / "sensitivity.json").read_text())["methods"]["output"]["ranking"]}
    b = {r["op"]: r for r in json.loads((full / "sensitivity.json").read_text())["methods"]["output"]["ranking"]}
    assert a.keys() == b.keys() and len(a) == 14
    for op, r in a.items():
        assert r["metrics"]["via"] == "gram" and b[op]["metrics"]["via"] == "logits"
        assert "kl_mean" in b[op]["metrics"]
        assert r["score"] == pytest.approx(b[op]["score"], rel=1e-4), op
    log = [json.loads(line) for line in (fast / "output.jsonl").read_text().splitlines()]
    assert all(rec["seconds"] >= 0 for rec in log)


def test_resuming_at_the_op_layer_changes_no_score(setup, tmp_path):
    """`loss` and `output` resume each op's run at its decoder layer from float activations
    carried forward; --full-forward-per-op re-runs the whole model. Every op's score must be
    bit-identical (same kernels on the same values, --threads 1), lm_head included (it resumes
    after the last layer)."""
    resumed, full = tmp_path / "resumed", tmp_path / "full"
    args = [*common(setup), "lm_head", "--lm-head", "--method", "loss,output"]  # --include ... lm_head
    run("sensitivity", *args, "--out", str(resumed))
    run("sensitivity", *args, "--full-forward-per-op", "--out", str(full))
    for method in ["loss", "output"]:
        a = {r["op"]: r["score"] for r in json.loads((resumed / "sensitivity.json").read_text())["methods"][method]["ranking"]}
        b = {r["op"]: r["score"] for r in json.loads((full / "sensitivity.json").read_text())["methods"][method]["ranking"]}
        assert len(a) == 15 and "lm_head" in a, sorted(a)
        assert a == b, method
    assert (resumed / "sensitivity.json").read_bytes() == (full / "sensitivity.json").read_bytes()


def test_ptq_meets_the_criterion_with_few_evaluations(setup, tmp_path):
    out = tmp_path / "ptq"
    r = run("ptq", *common(setup), "--scheme", "w8a8", "--tolerance", "0.0002", "--out", str(out))
    rep = json.loads((out / "ptq_report.json").read_text())
    assert rep["final_eval"] >= rep["target"]
    assert rep["target"] == pytest.approx(rep["baseline"] - 0.0002 * abs(rep["baseline"]))
    assert rep["evaluations"] <= 2 + int(np.ceil(np.log2(14)))
    assert f"{rep['evaluations']} evaluations" in r.stdout
    assert rep["fallback_count"] >= 1  # all-quantized misses this tight target (damaged op)
    assert rep["trials"][1]["what"] == "all quantized" and not rep["trials"][1]["meets"]
    plan = json.loads((out / "plan.json").read_text())["ops"]
    assert plan[DAMAGED] == "float"
    assert sum(v != "float" for v in plan.values()) == rep["quantized_ops"] > 0
    inc = json.loads((out / "inc_op_name_dict.json").read_text())
    assert inc[DAMAGED]["weight"]["dtype"] == ["fp32"]
    trials = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    assert len(trials) == rep["evaluations"]


def test_sharded_runs_merge_to_the_unsharded_report(setup, tmp_path):
    whole, shards = tmp_path / "whole", tmp_path / "shards"
    args = [*common(setup), "--method", "local,loss"]
    run("sensitivity", *args, "--out", str(whole))
    for i in range(2):
        run("sensitivity", *args, "--shard", f"{i}/2", "--out", str(shards))
    assert not (shards / "sensitivity.json").exists()
    run("merge", "--out", str(shards))
    assert (shards / "sensitivity.json").read_bytes() == (whole / "sensitivity.json").read_bytes()


def test_resume_after_sigkill_loses_at_most_one_op(setup, tmp_path):
    out = tmp_path / "killed"
    args = ["sensitivity", *common(setup), "--method", "loss", "--out", str(out)]
    log = out / "loss.jsonl"
    proc = subprocess.Popen([vlq_cli(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while time.time() < deadline:
        if log.exists() and log.read_text().count("\n") >= 3:
            break
        assert proc.poll() is None, "finished before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = [line for line in log.read_text().split("\n")[:-1]]  # complete lines only
    assert 3 <= len(before) < 14
    run(*args, "--resume")
    after = log.read_text().splitlines()
    assert after[:len(before)] == before  # nothing finished was lost or redone
    assert len(after) == 14
    ref = tmp_path / "ref"
    run("sensitivity", *common(setup), "--method", "loss", "--out", str(ref))
    assert (out / "sensitivity.json").read_bytes() == (ref / "sensitivity.json").read_bytes()


def test_bad_input_is_a_one_line_error(setup, tmp_path):
    r = run("sensitivity", *common(setup), "--scheme", "w3a3", "--out", str(tmp_path / "x"), check=False)
    assert r.returncode == 1 and "unknown scheme 'w3a3'" in r.stderr and r.stderr.count("\n") == 1
    r = run("merge", "--out", str(tmp_path / "empty"), str(tmp_path), check=False)
    assert r.returncode == 1 and "no meta" in r.stderr
    assert not (tmp_path / "empty" / "sensitivity.json").exists()
