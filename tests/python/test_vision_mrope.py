"""vlq's M-RoPE positions vs transformers 4.57.6 `Qwen2_5_VLModel.get_rope_index` (the real
function, called with the real checkpoint config as its only state). Inputs: hand-built token
rows laid out exactly like the processor's expansion (<|vision_start|>, N = t·h·w/4 ×
<|image_pad|>, <|vision_end|>), right- and left-padded batches, text-only batches with and
without a mask. Positions are integers: they must be identical."""
import os
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import Qwen2_5_VLConfig
from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import Qwen2_5_VLModel

from vlq import _core

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("VLQ_DATA_ROOT") or REPO.parent / "shared" / "data")
CKPT = DATA / "qwen2_5_vl_3b_instruct"

VISION_START, VISION_END, IMAGE, PAD = 151652, 151653, 151655, 151643


@pytest.fixture(scope="module")
def hf_rope_index():
    config = Qwen2_5_VLConfig.from_pretrained(CKPT)
    assert config.vision_start_token_id == VISION_START and config.image_token_id == IMAGE
    holder = types.SimpleNamespace(config=config)

    def call(input_ids, attention_mask, grids):
        return Qwen2_5_VLModel.get_rope_index(
            holder, torch.from_numpy(input_ids),
            image_grid_thw=None if grids is None else torch.from_numpy(grids),
            attention_mask=None if attention_mask is None else torch.from_numpy(attention_mask))
    return call


def image_run(grid):
    return [VISION_START] + [IMAGE] * (grid[0] * grid[1] * grid[2] // 4) + [VISION_END]


def build_batch(rows, pad_side="right"):
    length = max(len(r) for r in rows)
    ids = np.full((len(rows), length), PAD, dtype=np.int64)
    mask = np.zeros((len(rows), length), dtype=np.int64)
    for i, r in enumerate(rows):
        if pad_side == "right":
            ids[i, :len(r)], mask[i, :len(r)] = r, 1
        else:
            ids[i, length - len(r):], mask[i, length - len(r):] = r, 1
    return ids, mask


def check(hf_rope_index, ids, mask, grids):
    expected_pos, expected_delta = hf_rope_index(ids, mask, grids)
    pos, delta = _core.mrope_positions(ids, mask, grids, 2)
    np.testing.assert_array_equal(pos, expected_pos.numpy())
    np.testing.assert_array_equal(delta, expected_delta.numpy().reshape(delta.shape))


def text(rng, n):
    return list(rng.integers(0, 151000, n))


@pytest.mark.parametrize("pad_side", ["right", "left"])
def test_image_text_batch_with_padding(hf_rope_index, pad_side):
    rng = np.random.default_rng(0)
    g1, g2, g3 = [1, 34, 46], [1, 4, 4], [1, 2, 8]
    rows = [
        text(rng, 14) + image_run(g1) + text(rng, 20),                       # one large image
        text(rng, 5) + image_run(g2) + text(rng, 3) + image_run(g3) + text(rng, 7),  # two images
        text(rng, 9),                                                         # text-only row
        image_run(g2) + text(rng, 1),                                         # image first
    ]
    ids, mask = build_batch(rows, pad_side)
    grids = np.array([g1, g2, g3, g2], dtype=np.int64)
    check(hf_rope_index, ids, mask, grids)


def test_image_without_mask(hf_rope_index):
    rng = np.random.default_rng(1)
    rows = [text(rng, 3) + image_run([1, 24, 36]) + text(rng, 4)]
    ids, _ = build_batch(rows)
    check(hf_rope_index, ids, None, np.array([[1, 24, 36]], dtype=np.int64))


def test_image_run_at_end(hf_rope_index):
    rng = np.random.default_rng(2)
    rows = [text(rng, 3) + [VISION_START] + [IMAGE] * 16]
    ids, mask = build_batch(rows)
    check(hf_rope_index, ids, mask, np.array([[1, 8, 8]], dtype=np.int64))


@pytest.mark.parametrize("with_mask", [True, False])
def test_text_only(hf_rope_index, with_mask):
    rng = np.random.default_rng(3)
    ids, mask = build_batch([text(rng, 12), text(rng, 5), text(rng, 1)])
    check(hf_rope_index, ids, mask if with_mask else None, None)


def test_bad_input_is_an_error():
    ids = np.array([[VISION_START, IMAGE, IMAGE, VISION_END]], dtype=np.int64)
    with pytest.raises(RuntimeError, match="mrope positions"):
        _core.mrope_positions(ids, None, np.array([[1, 4, 4]], dtype=np.int64), 2)
