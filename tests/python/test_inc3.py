"""INC 3.x (neural_compressor.torch.quantization) with run_fn/eval_fn built from vlq's loaders."""
from __future__ import annotations

import pytest
import torch

from inc_micro_checkpoint import CAPTIONS, micro_checkpoint

transformers = pytest.importorskip("transformers")
pytest.importorskip("neural_compressor.torch.quantization")

from vlq.inc import QwenCalibConfig, build_qwen_calib_dataloader, build_qwen_eval_dataloader  # noqa: E402
from vlq.inc.inc3 import autotune_weight_only, make_eval_fn, make_run_fn, rtn_config_set  # noqa: E402


@pytest.fixture(scope="module")
def setup():
    model_dir = micro_checkpoint()
    cfg = QwenCalibConfig(captions_path=CAPTIONS, max_samples=4, max_seq_len=32, batch_size=2)
    calib = build_qwen_calib_dataloader(model_dir, cfg)
    evald = build_qwen_eval_dataloader(model_dir, num_prompts=4, max_seq_len=32, batch_size=2, config=cfg)
    return model_dir, calib, evald


def _load(model_dir):
    return transformers.Qwen2_5_VLForConditionalGeneration.from_pretrained(
        str(model_dir), torch_dtype=torch.float32).eval()


def _wo_linears(model):
    return [n for n, m in model.named_modules() if type(m).__name__ == "INCWeightOnlyLinear"]


def test_autotune_weight_only_rtn(setup):
    model_dir, calib, evald = setup
    eval_fn = make_eval_fn(evald)
    model = _load(model_dir)
    fp32 = eval_fn(model)
    q = autotune_weight_only(model, calib, evald, tolerable_loss=0.01, max_trials=2)
    assert q is not None, "autotune found no RTN config within 1 % of FP32 1/PPL"
    names = _wo_linears(q)
    assert "model.language_model.layers.0.mlp.down_proj" in names
    assert isinstance(q.get_submodule("lm_head"), torch.nn.Linear)  # kept FP32 by rtn_config_set
    score = eval_fn(q)
    assert score >= fp32 * (1 - 0.01)  # autotune's own acceptance rule
    assert score != fp32


def test_gptq_uses_the_calibration_run_fn(setup):
    """GPTQ needs activations: prepare -> run_fn (vlq calib batches) -> convert."""
    from neural_compressor.torch.quantization import GPTQConfig, convert, prepare

    model_dir, calib, evald = setup
    seen = []
    run_fn = make_run_fn(calib)

    def counting_run_fn(m):
        handle = m.register_forward_pre_hook(lambda mod, args, kwargs: seen.append(kwargs["input_ids"].shape),
                                             with_kwargs=True)
        run_fn(m)
        handle.remove()

    config = GPTQConfig(bits=4, group_size=16)
    config.set_local("lm_head", GPTQConfig(dtype="fp32"))
    model = prepare(_load(model_dir), config)
    counting_run_fn(model)
    q = convert(model)
    assert len(seen) == len(calib) == 2
    assert "model.language_model.layers.0.self_attn.q_proj" in _wo_linears(q)
    assert make_eval_fn(evald)(q) > 0


def test_rtn_config_set_and_eval_fn_guards():
    assert [c.bits for c in rtn_config_set((4, 8))] == [4, 8]
    with pytest.raises(ValueError, match="inv_ppl"):
        make_eval_fn([], metric="neg_nll")
    with pytest.raises(ValueError, match="max_batches"):
        make_run_fn([], max_batches=0)
