"""Parity of the C++ language model (vlq._core.Model) with transformers'
Qwen2_5_VLForConditionalGeneration (4.57.6, fp32, attn_implementation="eager") on the three tiny
random checkpoints (GQA 2:1 tied fp32 / 6:3 untied bf16-on-disk / MQA 8:1 tied odd intermediate).

Tolerances and why:
* logits: max |Δ| ≤ 1e-4 on real (non-pad) positions. Both sides compute in fp32 with identical
  weights (tiny_b's bf16 weights are widened exactly on both sides); they differ only in
  summation order (OpenBLAS vs torch sgemm, serial vs pairwise reductions in RMSNorm/softmax) and
  libm vs torch's vectorised exp/sin/cos: a few ulps per op, ~1e-6 after 2-3 layers on logits of
  magnitude ~1. A wrong rotary section, GQA mapping or mask gives O(1e-2..1) differences.
  Pad positions are excluded: their hidden states are backend-defined (reference §5.1).
* loss: relative Δ ≤ 1e-6 vs HF's `loss` with labels = input_ids and -100 on pads. The NLL is
  ~log(vocab) ≈ 12 per token, so logit differences of ~1e-6 move it by ~1e-7 relative.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from vlq import _core  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tiny_checkpoints  # noqa: E402

VARIANTS = ["tiny_a", "tiny_b", "tiny_c"]
LOGIT_ATOL = 1e-4
LOSS_RTOL = 1e-6
PAD = 151643
IMAGE_PAD = 151655


_HF_CACHE: dict = {}


def hf_model(path: Path):
    from transformers import Qwen2_5_VLForConditionalGeneration

    key = str(path)
    if key not in _HF_CACHE:
        _HF_CACHE[key] = Qwen2_5_VLForConditionalGeneration.from_pretrained(
            path, torch_dtype=torch.float32, attn_implementation="eager").eval()
    return _HF_CACHE[key]


def padded_batch(seed: int, lengths: list[int]):
    """Right-padded random text batch over the tokenizer's id range (incl. special tokens)."""
    rng = np.random.default_rng(seed)
    L = max(lengths)
    ids = np.full((len(lengths), L), PAD, dtype=np.int64)
    mask = np.zeros((len(lengths), L), dtype=np.int64)
    for b, n in enumerate(lengths):
        ids[b, :n] = rng.integers(0, 151665, size=n)
        ids[b, :n][ids[b, :n] == IMAGE_PAD] = 42  # text-only: no image placeholders
        mask[b, :n] = 1
    return ids, mask


@pytest.mark.parametrize("variant", VARIANTS)
def test_text_logits_and_loss_match_transformers(tiny_root, variant):
    path = tiny_root / variant
    ours = _core.Model(str(path), threads=2)
    hf = hf_model(path)
    ids, mask = padded_batch(seed=hash(variant) % 1000, lengths=[23, 17, 6])
    labels = np.where(mask == 1, ids, -100)

    with torch.no_grad():
        out = hf(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                 labels=torch.from_numpy(labels))
    ref_logits = out.logits.float().numpy()
    logits = ours.forward(ids, attention_mask=mask)
    assert logits.shape == ref_logits.shape
    real = mask.astype(bool)
    diff = np.abs(logits[real] - ref_logits[real]).max()
    assert diff <= LOGIT_ATOL, f"{variant}: max |Δlogits| on real positions = {diff:.3e}"

    nll, scored = ours.token_nll(ids, labels, attention_mask=mask)
    # Same tokens scored as HF: position t predicts labels[t+1] != -100.
    expected_scored = np.zeros_like(scored)
    expected_scored[:, :-1] = labels[:, 1:] != -100
    np.testing.assert_array_equal(scored, expected_scored)
    loss = nll[scored.astype(bool)].sum() / scored.sum()
    ref_loss = float(out.loss)
    assert abs(loss - ref_loss) / ref_loss <= LOSS_RTOL, (variant, loss, ref_loss)


def test_unpadded_batch_without_mask_matches(tiny_root):
    """No attention_mask (all real) and a single full-length row: the plain causal path."""
    path = tiny_root / "tiny_c"
    ours = _core.Model(str(path), threads=2)
    hf = hf_model(path)
    ids, _ = padded_batch(seed=7, lengths=[31, 31])
    with torch.no_grad():
        ref = hf(input_ids=torch.from_numpy(ids), attention_mask=torch.ones_like(torch.from_numpy(ids))).logits
    diff = np.abs(ours.forward(ids) - ref.numpy()).max()
    assert diff <= LOGIT_ATOL, diff


def test_explicit_position_ids_are_used(tiny_root):
    """3-D M-RoPE ids that differ per axis (as for images) change the result exactly as in HF."""
    path = tiny_root / "tiny_a"
    ours = _core.Model(str(path), threads=2)
    hf = hf_model(path)
    ids, mask = padded_batch(seed=3, lengths=[12, 12])
    rng = np.random.default_rng(0)
    pos = np.cumsum(rng.integers(0, 3, size=(3, 2, 12)), axis=-1).astype(np.int64)
    with torch.no_grad():
        ref = hf(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                 position_ids=torch.from_numpy(pos)).logits.numpy()
    got = ours.forward(ids, attention_mask=mask, position_ids=pos)
    assert np.abs(got - ref).max() <= LOGIT_ATOL
    # And they matter: the default text positions give a different answer.
    assert np.abs(ours.forward(ids, attention_mask=mask) - ref).max() > 1e-3


def test_recycled_logits_never_alias_a_live_result(tiny_root):
    """forward() reuses the storage of a freed result (buffer_recycler.hpp); a result that is still
    alive must never be written to, and a reused buffer must hold only the new forward's logits."""
    path = tiny_root / "tiny_a"
    ours = _core.Model(str(path), threads=2)
    hf = hf_model(path)
    ids_a, mask_a = padded_batch(seed=11, lengths=[9, 9])
    ids_b, mask_b = padded_batch(seed=12, lengths=[9, 5])
    with torch.no_grad():
        ref_a = hf(input_ids=torch.from_numpy(ids_a), attention_mask=torch.from_numpy(mask_a)).logits.numpy()
        ref_b = hf(input_ids=torch.from_numpy(ids_b), attention_mask=torch.from_numpy(mask_b)).logits.numpy()
    real_b = mask_b.astype(bool)

    a = ours.forward(ids_a, attention_mask=mask_a)
    a_view = a[1:]  # a view keeps the storage alive after `a` is gone
    b = ours.forward(ids_b, attention_mask=mask_b)
    assert not np.shares_memory(a, b)
    del a
    c = ours.forward(ids_b, attention_mask=mask_b)
    assert not np.shares_memory(a_view, c) and not np.shares_memory(b, c)
    assert np.abs(a_view - ref_a[1:]).max() <= LOGIT_ATOL
    del a_view, b
    for _ in range(3):  # now storage is recycled from one result to the next
        d = ours.forward(ids_a, attention_mask=mask_a)
        assert np.abs(d - ref_a).max() <= LOGIT_ATOL
        del d
        e = ours.forward(ids_b, attention_mask=mask_b)
        assert np.abs(e[real_b] - ref_b[real_b]).max() <= LOGIT_ATOL
        del e
    assert np.abs(c[real_b] - ref_b[real_b]).max() <= LOGIT_ATOL
    # A different shape after a recycled one: fresh storage of the right size.
    f = ours.forward(ids_a[:1], attention_mask=mask_a[:1])
    assert f.shape == (1, 9, ours.vocab_size) and np.abs(f - ref_a[:1]).max() <= LOGIT_ATOL


def _legacy(name: str) -> str:
    name = re.sub(r"^model\.language_model\.", "model.", name)
    return re.sub(r"^model\.visual\.", "visual.", name)


@pytest.mark.parametrize("variant", VARIANTS)
def test_linear_ops_are_the_hf_linear_modules(tiny_root, variant):
    path = tiny_root / variant
    hf = hf_model(path)
    expected = {_legacy(n): (m.in_features, m.out_features, m.bias is not None)
                for n, m in hf.named_modules() if isinstance(m, torch.nn.Linear)}
    ops = _core.Model(str(path)).linear_ops()
    got = {op["name"]: (op["in_features"], op["out_features"], op["has_bias"]) for op in ops}
    lm = {k: v for k, v in expected.items() if not k.startswith("visual.")}
    assert {k: v for k, v in got.items() if not k.startswith("visual.")} == lm
    assert len(ops) == len(got), "duplicate op names"


def test_eval_scalar_matches_hf_over_uneven_batches(tiny_root):
    """The eval scalar (Σ NLL / Σ predicted tokens over the whole set) equals the same sum taken
    from HF logits with torch cross_entropy(reduction="sum"); two batches of different sizes
    make it differ from a mean of batch means. Tolerance: relative 1e-6 (see module doc)."""
    path = tiny_root / "tiny_b"
    ours = _core.Model(str(path), threads=2)
    hf = hf_model(path)
    total_ours = total_hf = 0.0
    count = 0
    batch_means = []
    for seed, lengths in [(11, [19, 4, 12]), (12, [6])]:
        ids, mask = padded_batch(seed, lengths)
        labels = np.where(mask == 1, ids, -100)
        nll, scored = ours.token_nll(ids, labels, attention_mask=mask)
        total_ours += nll[scored.astype(bool)].sum()
        with torch.no_grad():
            logits = hf(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits
        target = torch.from_numpy(labels)[:, 1:].reshape(-1)
        ce = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).double(), target,
                                               ignore_index=-100, reduction="sum")
        total_hf += float(ce)
        n = int((target != -100).sum())
        count += n
        batch_means.append(float(ce) / n)
        assert int(scored.sum()) == n
    ours_scalar, hf_scalar = -total_ours / count, -total_hf / count
    assert abs(ours_scalar - hf_scalar) <= 1e-6 * abs(hf_scalar), (ours_scalar, hf_scalar)
    assert abs(-np.mean(batch_means) - hf_scalar) > 1e-4  # the batches really are uneven


@pytest.mark.parametrize("variant", VARIANTS)
def test_image_text_logits_match_transformers(tiny_root, variant):
    """Joint test with the vision tower: pixel_values through vlq's VisionTower, spliced at
    <|image_pad|> in batch-major order, M-RoPE ids from HF's get_rope_index; vs the full HF
    forward with pixel_values. Same 1e-4 tolerance on real positions."""
    from PIL import Image
    from transformers import Qwen2VLImageProcessor

    path = tiny_root / variant
    hf = hf_model(path)
    ours = _core.Model(str(path), threads=2)
    data_root = Path(os.environ.get("VLQ_DATA_ROOT", Path(__file__).resolve().parents[3] / "shared" / "data"))
    images = sorted((data_root / "coco2017_images").rglob("*.jpg"))[:2]
    proc = Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=112 * 140)
    enc = proc(images=[Image.open(p).convert("RGB") for p in images], return_tensors="pt")
    grid = enc["image_grid_thw"]
    n_tokens = [int(g.prod()) // 4 for g in grid]
    rows = []
    for b, n in enumerate(n_tokens):  # row b holds image b, with some text around it
        rows.append([151644, 872, 198, 151652] + [IMAGE_PAD] * n + [151653, 9707 + b, 1879, 151645])
    L = max(len(r) for r in rows) + 2
    ids = np.full((len(rows), L), PAD, dtype=np.int64)
    mask = np.zeros_like(ids)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = r
        mask[b, :len(r)] = 1
    tids, tmask = torch.from_numpy(ids), torch.from_numpy(mask)
    with torch.no_grad():
        pos, _ = hf.model.get_rope_index(tids, grid, None, tmask)
        ref = hf(input_ids=tids, attention_mask=tmask, pixel_values=enc["pixel_values"],
                 image_grid_thw=grid).logits.numpy()
    got = ours.forward(ids, attention_mask=mask, position_ids=pos.numpy().astype(np.int64).copy(),
                       pixel_values=enc["pixel_values"].numpy().astype(np.float32),
                       image_grid_thw=grid.numpy().astype(np.int64))
    real = mask.astype(bool)
    diff = np.abs(got[real] - ref[real]).max()
    assert diff <= LOGIT_ATOL, f"{variant}: max |Δlogits| = {diff:.3e}"
