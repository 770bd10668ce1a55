"""Joint image+text parity: the C++ full model (vlq._core.Model: C++ vision tower → splice at
<|image_pad|> → language model) against transformers' Qwen2_5_VLForConditionalGeneration
(4.57.6, fp32, eager attention) with real COCO images from the real HF image processor.

Position ids: the 3-D M-RoPE ids are taken from HF's `get_rope_index` and passed to the C++
model, so this test isolates vision tower + splice + language model (the C++ M-RoPE position
builder has its own parity test).

Tolerance: max |Δlogits| ≤ 1e-4 on real positions. fp32 on both sides, identical weights;
differences are summation order and libm vs torch's vectorised transcendental functions, a few
ulps per op (~1e-6 after the tiny towers, see test_vision_tower_parity.py, and 2-3 decoder
layers). A wrong splice order, missing image or shifted image tokens gives O(1e-2..1).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from PIL import Image  # noqa: E402

from vlq import _core  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tiny_checkpoints  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DATA_ROOT = Path(os.environ.get("VLQ_DATA_ROOT", REPO.parent / "shared" / "data"))
IMAGES = DATA_ROOT / "coco2017_images"
VARIANTS = ["tiny_a", "tiny_b", "tiny_c"]
LOGIT_ATOL = 1e-4
PAD, VISION_START, IMAGE_PAD, VISION_END = 151643, 151652, 151655, 151653


@pytest.fixture(scope="session")
def images():
    from transformers import Qwen2VLImageProcessor

    names = ["val2017/000000109313.jpg", "val2017/000000181303.jpg", "val2017/000000296222.jpg"]
    paths = [IMAGES / n for n in names]
    if not all(p.exists() for p in paths):
        pytest.skip(f"COCO images not found under {IMAGES}")
    imgs = [Image.open(p).convert("RGB") for p in paths]
    proc = Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=36 * 28 * 28)
    out = proc(images=imgs, return_tensors="np")
    return (np.ascontiguousarray(out["pixel_values"], dtype=np.float32),
            np.ascontiguousarray(out["image_grid_thw"], dtype=np.int64))


def _batch(grid: np.ndarray):
    """Right-padded batch: row 0 holds images 0 and 1 between text, row 1 holds image 2."""
    rng = np.random.default_rng(7)
    tokens = [int(t * h * w // 4) for t, h, w in grid]

    def text(n):
        return list(rng.integers(0, 151000, size=n))

    def image(k):
        return [VISION_START] + [IMAGE_PAD] * tokens[k] + [VISION_END]

    rows = [text(5) + image(0) + text(4) + image(1) + text(6), text(3) + image(2) + text(9)]
    L = max(len(r) for r in rows)
    ids = np.full((2, L), PAD, dtype=np.int64)
    mask = np.zeros((2, L), dtype=np.int64)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = r
        mask[b, :len(r)] = 1
    return ids, mask


@pytest.mark.parametrize("variant", VARIANTS)
def test_image_text_logits_match_transformers(variant, tiny_root, images):
    from transformers import Qwen2_5_VLForConditionalGeneration

    path = tiny_root / variant
    hf = Qwen2_5_VLForConditionalGeneration.from_pretrained(
        path, dtype=torch.float32, attn_implementation="eager").eval()
    pv, grid = images
    ids, mask = _batch(grid)
    t_ids, t_mask, t_grid = (torch.from_numpy(a) for a in (ids, mask, grid))
    with torch.no_grad():
        ref = hf(input_ids=t_ids, attention_mask=t_mask, pixel_values=torch.from_numpy(pv),
                 image_grid_thw=t_grid).logits.float().numpy()
        position_ids, _ = hf.model.get_rope_index(t_ids, t_grid, None, t_mask)
    ours = _core.Model(str(path), threads=2)
    logits = ours.forward(ids, attention_mask=mask,
                          position_ids=np.ascontiguousarray(position_ids.numpy(), dtype=np.int64),
                          pixel_values=pv, image_grid_thw=grid)
    assert logits.shape == ref.shape
    real = mask.astype(bool)
    diff = np.abs(logits[real] - ref[real]).max()
    print(f"{variant}: max|Δlogits| = {diff:.3g}, max|logit| = {np.abs(ref[real]).max():.3g}")
    assert diff <= LOGIT_ATOL

    # The image features matter: reversed pixel rows (same grids, same token count) must move
    # the logits far beyond the tolerance, so the comparison above discriminates.
    swapped = ours.forward(ids, attention_mask=mask,
                           position_ids=np.ascontiguousarray(position_ids.numpy(), dtype=np.int64),
                           pixel_values=np.ascontiguousarray(pv[::-1]), image_grid_thw=grid)
    assert np.abs(swapped[real] - ref[real]).max() > 100 * LOGIT_ATOL
