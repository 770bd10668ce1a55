"""make_qwen_eval_func: real-token NLL, INC-safe metrics, INC's own acceptance math.

Uses the real transformers model (micro checkpoint), vlq's loaders and neural_compressor's
MultiObjective (the class INC's strategies use to accept or reject a trial).
"""
from __future__ import annotations

import math

import pytest
import torch

from inc_micro_checkpoint import CAPTIONS, micro_checkpoint

transformers = pytest.importorskip("transformers")
pytest.importorskip("neural_compressor")

from vlq.inc import QwenCalibConfig, build_qwen_eval_dataloader, make_qwen_eval_func  # noqa: E402
from vlq.inc.eval_func import inc_accuracy_criterion, mean_token_nll, token_nll_sum  # noqa: E402

REL_TOL = 1e-5  # float32 logits, float64 accumulation


@pytest.fixture(scope="module")
def model_dir():
    return micro_checkpoint()


@pytest.fixture(scope="module")
def model(model_dir):
    return transformers.Qwen2_5_VLForConditionalGeneration.from_pretrained(
        str(model_dir), torch_dtype=torch.float32).eval()


@pytest.fixture(scope="module")
def eval_loader(model_dir):
    cfg = QwenCalibConfig(captions_path=CAPTIONS, max_seq_len=48)
    return build_qwen_eval_dataloader(model_dir, num_prompts=6, max_seq_len=48, batch_size=3, config=cfg)


def _hf_token_weighted_nll(model, loader) -> float:
    """Oracle: HF's own causal-LM loss (ignore_index=-100) re-weighted by its token count."""
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in loader:
            n = int((batch["labels"][:, 1:] != -100).sum())
            out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                        labels=batch["labels"], use_cache=False)
            total += float(out.loss) * n
            count += n
    return total / count


def test_loader_has_padding(eval_loader):
    # The pad test below is only meaningful if some batch mixes lengths.
    assert any(bool((b["attention_mask"] == 0).any()) for b in eval_loader)


def test_nll_matches_hf_loss(model, eval_loader):
    ours = mean_token_nll(model, eval_loader, max_batches=None)
    assert ours == pytest.approx(_hf_token_weighted_nll(model, eval_loader), rel=REL_TOL)


def test_metrics_are_consistent(model, eval_loader):
    neg = make_qwen_eval_func(model, eval_loader, metric="neg_nll")(model)
    inv = make_qwen_eval_func(model, eval_loader)(model)  # default: inv_ppl
    assert neg < 0 < inv
    assert inv == pytest.approx(math.exp(neg), rel=REL_TOL)


def test_pad_tokens_are_never_scored(model, eval_loader):
    """Rewriting every padded position's token id must not change the score (right padding,
    causal attention, labels -100 on pads). A seed-style eval (labels = input_ids) would change."""
    batches = list(eval_loader)
    altered = []
    for b in batches:
        b2 = dict(b)
        b2["input_ids"] = b["input_ids"].masked_fill(b["attention_mask"] == 0, 42)
        altered.append(b2)
    base = mean_token_nll(model, batches, max_batches=None)
    assert mean_token_nll(model, altered, max_batches=None) == pytest.approx(base, rel=REL_TOL)
    seed_style = [dict(b, labels=b["input_ids"].clone()) for b in altered]
    assert mean_token_nll(model, seed_style, max_batches=None) != pytest.approx(base, rel=1e-3)


def test_token_nll_sum_by_hand():
    logits = torch.tensor([[[0.0, math.log(3.0)], [0.0, 0.0], [5.0, 5.0]]])
    labels = torch.tensor([[0, 1, -100]])
    total, n = token_nll_sum(logits, labels)
    assert n == 1  # position 0 predicts label 1; position 1's target is -100
    assert total == pytest.approx(-math.log(3.0 / 4.0))


def test_max_batches_limits_work(model, eval_loader):
    one = mean_token_nll(model, eval_loader, max_batches=1)
    first = [next(iter(eval_loader))]
    assert one == pytest.approx(mean_token_nll(model, first, max_batches=None), rel=REL_TOL)


@pytest.mark.parametrize("kwargs, match", [
    (dict(metric="ppl"), "unknown metric"),
    (dict(max_batches=0), "max_batches"),
])
def test_bad_options(model, eval_loader, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_qwen_eval_func(model, eval_loader, **kwargs)


def test_empty_loader_is_an_error(model):
    with pytest.raises(ValueError, match="no scorable tokens"):
        make_qwen_eval_func(model, [])(model)


def test_bare_tuple_batch_is_rejected(model):
    batch = (torch.ones(1, 4, dtype=torch.long), torch.ones(1, 4, dtype=torch.long))
    with pytest.raises(TypeError, match="attention mask"):
        make_qwen_eval_func(model, [batch])(model)


def _inc_accepts(criterion, baseline: float, trial: float) -> bool:
    """INC 2.x acceptance of one trial through INC's own ``MultiObjective.compare`` - the check
    ``TuneStrategy.stop`` and mse_v2's fallback loop use (``q >= target``)."""
    from neural_compressor.objective import MultiObjective

    acc = {criterion.criterion: criterion.tolerable_loss, "higher_is_better": criterion.higher_is_better}
    objective = MultiObjective(["performance"], accuracy_criterion=acc)
    objective.val = (trial, [1.0])
    return objective.compare(None, (baseline, [1.0]))


def test_seed_neg_nll_with_relative_criterion_can_never_pass():
    """The seed paired -NLL with INC's relative criterion: target = b*(1-t) lies above b < 0."""
    from neural_compressor.config import AccuracyCriterion

    relative = AccuracyCriterion(criterion="relative", tolerable_loss=0.01)
    nll = 2.0
    for worse_by in (0.0, 1e-6, 0.005, 0.015):  # a lossless model and slightly worse ones
        assert not _inc_accepts(relative, -nll, -(nll + worse_by))
    # vlq's default inv_ppl with the same relative criterion accepts lossless and <1 % worse 1/PPL.
    inv = inc_accuracy_criterion("inv_ppl")
    assert _inc_accepts(inv, math.exp(-nll), math.exp(-nll) * (1 - 1e-6))
    assert _inc_accepts(inv, math.exp(-nll), math.exp(-(nll + 0.005)))
    assert not _inc_accepts(inv, math.exp(-nll), math.exp(-(nll + 0.015)))
    # -NLL is fine with the absolute criterion (tolerance in nats).
    absolute = inc_accuracy_criterion("neg_nll", 0.01)
    assert _inc_accepts(absolute, -nll, -(nll + 0.005))
    assert not _inc_accepts(absolute, -nll, -(nll + 0.015))
