"""`vlq demo` end to end, and the random demo checkpoint it generates, against real oracles.

One demo run (module fixture, fresh model cache so the generator really runs) feeds every test:
* the generated directory is a valid HF checkpoint: transformers'
  Qwen2_5_VLForConditionalGeneration.from_pretrained loads it with no missing/unexpected keys,
  its config has the real vocab size and the real 3B token ids, and vlq's forward/loss on the
  demo's own eval batches (and on an image+text batch) match HF. Tolerances as in
  test_model_parity.py: logits max |Δ| ≤ 1e-4 on real positions (fp32 both sides, bf16 weights
  widened exactly on both; only summation order and libm differ, ~1e-6), loss relative ≤ 1e-6.
* the outputs are consistent: every printed report path exists; plan.json's ops are exactly the
  HF nn.Linear modules the text-only data runs (all language-model Linears except lm_head, which
  vlq never quantizes by default); the sensitivity report ranks all of them under both methods;
  the float eval scalar in demo.json and ptq_report.json equals `vlq eval` run separately on
  the demo's eval dataset with the same model (printed with 6 decimals → ≤ 5e-7 rounding; the
  two in-process sums differ by summation order only, ~1e-14).
* bad input: a missing data root or a foreign --out directory → one-line error, exit ≠ 0, and
  nothing written (no output directory, no staging leftovers).
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
transformers = pytest.importorskip("transformers")

from vlq import _core  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_vision_tower_joint import _batch, images  # noqa: E402,F401  (fixture reused)

REPO = Path(__file__).resolve().parents[2]
DATA_ROOT = Path(os.environ.get("VLQ_DATA_ROOT", REPO.parent / "shared" / "data"))
REAL_CONFIG = DATA_ROOT / "qwen2_5_vl_3b_instruct" / "config.json"
LOGIT_ATOL = 1e-4
LOSS_RTOL = 1e-6

if not REAL_CONFIG.exists():
    pytest.skip(f"shared data not found at {DATA_ROOT}", allow_module_level=True)


def vlq_exe() -> str:
    build = os.environ.get("VLQ_BUILD_DIR")
    if build and (Path(build) / "vlq").exists():
        return str(Path(build) / "vlq")
    return str(Path(sys.executable).parent / "vlq")


class DemoRun:
    def __init__(self, out: Path, proc: subprocess.CompletedProcess):
        self.out = out
        self.proc = proc
        self.summary = json.loads((out / "demo.json").read_text())
        self.model_dir = Path(self.summary["model"]["dir"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> DemoRun:
    base = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, XDG_CACHE_HOME=str(base / "cache"), VLQ_PYTHON=sys.executable)
    out = base / "out"
    proc = subprocess.run([vlq_exe(), "demo", "--data-root", str(DATA_ROOT), "--out", str(out), "--threads", "2"],
                          capture_output=True, text=True, env=env, cwd=base)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return DemoRun(out, proc)


_HF: dict = {}


def hf_model(path: Path):
    from transformers import Qwen2_5_VLForConditionalGeneration

    if str(path) not in _HF:
        model, info = Qwen2_5_VLForConditionalGeneration.from_pretrained(
            path, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
        _HF[str(path)] = (model.eval(), info)
    return _HF[str(path)]


def legacy(name: str) -> str:
    name = re.sub(r"^model\.language_model\.", "model.", name)
    return re.sub(r"^model\.visual\.", "visual.", name)


# --- the generated checkpoint -------------------------------------------------------------------

def test_demo_model_is_generated_random_and_in_the_fresh_cache(demo):
    out = demo.proc.stdout
    assert "RANDOM demo model" in out and "--model" in out
    assert f"generated {demo.model_dir}" in out
    assert demo.summary["model"]["random"] is True
    assert demo.model_dir.parent.name == "vlq" and demo.model_dir.name.startswith("demo-model-")
    assert not [p for p in demo.model_dir.parent.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_generated_checkpoint_loads_in_transformers_with_the_real_vocab_and_token_ids(demo):
    model, info = hf_model(demo.model_dir)
    assert not info["missing_keys"] and not info["unexpected_keys"] and not info["mismatched_keys"], info
    cfg = json.loads((demo.model_dir / "config.json").read_text())
    real = json.loads(REAL_CONFIG.read_text())
    assert cfg["vocab_size"] == real["vocab_size"] == 151936
    for key in ("bos_token_id", "eos_token_id", "image_token_id", "video_token_id", "vision_start_token_id",
                "vision_end_token_id", "vision_token_id"):
        assert cfg[key] == real[key], key
    assert cfg["tie_word_embeddings"] is True
    assert model.config.vision_config.fullatt_block_indexes  # a full-attention block
    assert len(model.config.vision_config.fullatt_block_indexes) < model.config.vision_config.depth  # + window ones
    # HF-style init: norms 1, biases 0, weights ~N(0, 0.02) (n = 9.7M: sample std within 1%).
    sd = model.state_dict()
    assert torch.all(sd["model.language_model.norm.weight"] == 1)
    assert torch.all(sd["model.language_model.layers.0.self_attn.q_proj.bias"] == 0)
    emb = sd["model.language_model.embed_tokens.weight"]
    assert abs(float(emb.std()) - 0.02) < 0.02 * 0.01
    # Tokenizer files copied alongside: the real tokenizer loads from the checkpoint directory.
    tok = transformers.AutoTokenizer.from_pretrained(demo.model_dir)
    assert tok.convert_tokens_to_ids("<|image_pad|>") == cfg["image_token_id"]


def demo_eval_batches(demo):
    loader, _ = _core.read_dataset(str(demo.out / "data" / "eval"))
    return [loader.collate(rows) for rows in loader.batch_plan(0)]


def test_vlq_forward_and_loss_match_transformers_on_the_demo_eval_batches(demo):
    hf, _ = hf_model(demo.model_dir)
    ours = _core.Model(str(demo.model_dir), threads=2)
    worst = 0.0
    for b in demo_eval_batches(demo):
        ids, mask, labels = (np.asarray(b[k], dtype=np.int64) for k in ("input_ids", "attention_mask", "labels"))
        with torch.no_grad():
            ref = hf(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                     labels=torch.from_numpy(labels))
        logits = ours.forward(ids, attention_mask=mask)
        real = mask.astype(bool)
        worst = max(worst, float(np.abs(logits[real] - ref.logits.numpy()[real]).max()))
        nll, scored = ours.token_nll(ids, labels, attention_mask=mask)
        loss = nll[scored.astype(bool)].sum() / scored.sum()
        assert abs(loss - float(ref.loss)) / float(ref.loss) <= LOSS_RTOL, (loss, float(ref.loss))
    assert worst <= LOGIT_ATOL, worst


def test_vlq_image_text_forward_matches_transformers(demo, images):  # noqa: F811
    """The vision tower (window + full blocks) and merger of the generated checkpoint as well."""
    hf, _ = hf_model(demo.model_dir)
    pv, grid = images
    ids, mask = _batch(grid)
    t_ids, t_mask, t_grid = (torch.from_numpy(a) for a in (ids, mask, grid))
    with torch.no_grad():
        ref = hf(input_ids=t_ids, attention_mask=t_mask, pixel_values=torch.from_numpy(pv),
                 image_grid_thw=t_grid).logits.numpy()
        position_ids, _ = hf.model.get_rope_index(t_ids, t_grid, None, t_mask)
    pos = np.ascontiguousarray(position_ids.numpy(), dtype=np.int64)
    ours = _core.Model(str(demo.model_dir), threads=2)
    logits = ours.forward(ids, attention_mask=mask, position_ids=pos, pixel_values=pv, image_grid_thw=grid)
    real = mask.astype(bool)
    assert np.abs(logits[real] - ref[real]).max() <= LOGIT_ATOL
    # Discriminative: other pixels (same grids) move the logits far beyond the tolerance.
    other = ours.forward(ids, attention_mask=mask, position_ids=pos, pixel_values=np.ascontiguousarray(pv[::-1]),
                         image_grid_thw=grid)
    assert np.abs(other[real] - ref[real]).max() > 100 * LOGIT_ATOL


# --- the demo's outputs -------------------------------------------------------------------------

def test_demo_prints_every_step_and_report_paths_that_exist(demo):
    out = demo.proc.stdout
    for step in ("[1/5] model", "[2/5] data", "[3/5] eval", "[4/5] sensitivity", "[5/5] ptq"):
        assert step in out
    tail = out.split("Reports:", 1)[1]
    paths = [Path(p) for p in re.findall(r"(/[^\s()]+)", tail)]
    assert len(paths) >= 7
    for p in paths:
        assert p.exists(), p
        assert p.is_relative_to(demo.out)
    for rel in ("ptq/plan.json", "ptq/inc_op_name_dict.json", "ptq/trials.jsonl", "ptq/ptq_report.md",
                "ptq/ptq_report.json", "sensitivity/sensitivity.json", "sensitivity/sensitivity.md",
                "sensitivity/sensitivity.csv", "eval/scores.jsonl"):
        assert (demo.out / rel).is_file(), rel
    # No staging or moved-aside directories next to the output.
    assert sorted(p.name for p in demo.out.parent.iterdir() if p.name.startswith(".")) == []


def quantizable_ops_run_by_text(demo) -> set[str]:
    hf, _ = hf_model(demo.model_dir)
    names = {legacy(n) for n, m in hf.named_modules() if isinstance(m, torch.nn.Linear)}
    # Text-only data never runs the vision tower; vlq leaves lm_head in float unless --lm-head.
    return {n for n in names if not n.startswith("visual.") and n != "lm_head"}


def test_plan_ops_are_exactly_the_models_linear_modules(demo):
    expected = quantizable_ops_run_by_text(demo)
    assert len(expected) == 7 * 2
    plan = json.loads((demo.out / "ptq" / "plan.json").read_text())
    assert plan["format"] == "vlq-quant-plan"
    assert set(plan["ops"]) == expected
    assert set(plan["ops"].values()) <= {"w8a8", "float"}
    inc = json.loads((demo.out / "ptq" / "inc_op_name_dict.json").read_text())
    assert set(inc) <= expected
    report = json.loads((demo.out / "ptq" / "ptq_report.json").read_text())
    assert report["quantized_ops"] == sum(v == "w8a8" for v in plan["ops"].values())
    assert report["final_eval"] >= report["target"]
    trials = [json.loads(line) for line in (demo.out / "ptq" / "trials.jsonl").read_text().splitlines()]
    assert len(trials) == report["evaluations"]


def test_sensitivity_report_ranks_every_op_under_both_methods(demo):
    expected = quantizable_ops_run_by_text(demo)
    sens = json.loads((demo.out / "sensitivity" / "sensitivity.json").read_text())
    assert set(sens["methods"]) == {"local", "loss"}
    for method, m in sens["methods"].items():
        ranking = m["ranking"]
        assert {r["op"] for r in ranking} == expected, method
        assert [r["rank"] for r in ranking] == list(range(1, len(expected) + 1))
        scores = [r["score"] for r in ranking]
        assert scores == sorted(scores, reverse=True), method
    # The PTQ fallback order is the loss ranking.
    fallen = json.loads((demo.out / "ptq" / "ptq_report.json").read_text())["float_ops"]
    assert fallen == [r["op"] for r in sens["methods"]["loss"]["ranking"]][:len(fallen)]


def test_float_eval_scalar_equals_vlq_eval_run_separately(demo):
    r = subprocess.run([vlq_exe(), "eval", "--model", str(demo.model_dir), "--data", str(demo.out / "data" / "eval"),
                        "--quiet", "--threads", "2"], check=True, capture_output=True, text=True)
    separate = float(re.search(r"score (-?[0-9.]+)", r.stdout).group(1))
    in_demo = demo.summary["eval"]["score"]
    baseline = json.loads((demo.out / "ptq" / "ptq_report.json").read_text())["baseline"]
    assert abs(in_demo - separate) <= 5e-7 + 1e-12
    assert abs(baseline - separate) <= 5e-7 + 1e-12
    assert f"score {separate:.6f}" in demo.proc.stdout
    # And it is the mean of the per-sample NLL sums written next to it.
    rows = [json.loads(line) for line in (demo.out / "eval" / "scores.jsonl").read_text().splitlines()]
    total = sum(x["nll_sum"] for x in rows) / sum(x["tokens"] for x in rows)
    assert abs(-total - in_demo) <= 1e-9 * abs(in_demo)


def test_plots_made_when_a_python_with_vlq_is_given(demo):
    pytest.importorskip("matplotlib")
    assert "PNG plots written" in demo.proc.stdout
    assert list((demo.out / "sensitivity").glob("sensitivity_top_*.png"))
    assert (demo.out / "ptq" / "ptq_eval_vs_fallback.png").is_file()


# --- bad input ----------------------------------------------------------------------------------

def test_missing_data_root_is_a_one_line_error_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    r = subprocess.run([vlq_exe(), "demo", "--data-root", "/nonexistent", "--out", str(out)],
                       capture_output=True, text=True, cwd=tmp_path,
                       env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache")))
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "/nonexistent" in lines[0] and "--data-root" in lines[0], r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_foreign_out_directory_is_refused_untouched(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    r = subprocess.run([vlq_exe(), "demo", "--data-root", str(DATA_ROOT), "--out", str(out)],
                       capture_output=True, text=True, cwd=tmp_path,
                       env=dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache")))
    assert r.returncode != 0
    assert len(r.stderr.strip().splitlines()) == 1 and str(out) in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["precious.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]
