"""Image+text calibration batches vs HF on the 7 real COCO images that are in the calib DB.

Oracle: transformers' slow ``Qwen2VLImageProcessor`` (PIL path; torchvision is not installed, so
the fast processor is not available) for pixel_values / image_grid_thw, and what
``Qwen2_5_VLProcessor.__call__`` does to the text — each ``<|image_pad|>`` replaced by
grid_t*grid_h*grid_w // merge_size**2 copies — followed by the HF tokenizer.
"""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import torch

from _data_support import CALIB_DIR, DATA_ROOT, MODEL_DIR, hf_chat_template, hf_tokenizer
from vlq.inc import QwenCalibConfig, build_qwen_calib_dataloader

DB = CALIB_DIR / "coco2017_vlm_calib.db"
COCO_ROOT = DATA_ROOT / "coco2017_images"


def db_rows_with_images() -> list[tuple[str, str]]:
    with sqlite3.connect(f"file:{DB}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT image_relpath, caption FROM vlm_calib_samples WHERE id <= 4096 ORDER BY id").fetchall()
    return [(rel, cap.strip()) for rel, cap in rows if (COCO_ROOT / rel).is_file()]


def image_config(**kw) -> QwenCalibConfig:
    base = dict(captions_path=DB, with_images=True, coco_root=COCO_ROOT, missing_image="skip", max_samples=0,
                eval_holdout=0, max_seq_len=0, batch_size=3, shuffle=False)
    base.update(kw)
    return QwenCalibConfig(**base)


def test_image_text_batches_match_hf_processor():
    from PIL import Image
    from transformers import Qwen2VLImageProcessor

    tok, template = hf_tokenizer(), hf_chat_template()
    processor = Qwen2VLImageProcessor.from_pretrained(str(MODEL_DIR))
    expected = db_rows_with_images()
    assert len(expected) == 7  # PROVENANCE: 7 of the 8 shared images are in the DB
    loader = build_qwen_calib_dataloader(MODEL_DIR, image_config())
    assert len(loader.dataset) == 7
    row = 0
    pad_id = tok.convert_tokens_to_ids("<|image_pad|>")
    for batch in loader:
        want_pixels, want_grids = [], []
        for b in range(batch["input_ids"].shape[0]):
            relpath, caption = expected[row]
            image = Image.open(COCO_ROOT / relpath).convert("RGB")
            hf = processor(images=[image], return_tensors="np")
            grid = hf["image_grid_thw"][0]
            n_pads = int(np.prod(grid)) // processor.merge_size**2
            chat = tok.apply_chat_template(
                [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": caption}]}],
                tokenize=False, add_generation_prompt=True, chat_template=template)
            ids = tok(chat.replace("<|image_pad|>", "<|image_pad|>" * n_pads))["input_ids"]
            n = len(ids)
            assert batch["input_ids"][b, :n].tolist() == ids
            assert int(batch["attention_mask"][b].sum()) == n
            labels = batch["labels"][b]
            assert labels[:n].tolist() == [-100 if t == pad_id else t for t in ids]  # image pads never scored
            assert bool((labels[n:] == -100).all())
            want_pixels.append(hf["pixel_values"])
            want_grids.append(hf["image_grid_thw"])
            row += 1
        assert batch["pixel_values"].dtype == torch.float32
        assert torch.equal(batch["image_grid_thw"], torch.from_numpy(np.concatenate(want_grids)).long())
        # vlq's processor reproduces Pillow's uint8 bicubic exactly (observed max difference 0.0);
        # 1e-5 only allows float32 rounding of (x/255 - mean)/std, far below one uint8 step (~0.015).
        np.testing.assert_allclose(batch["pixel_values"].numpy(), np.concatenate(want_pixels), rtol=0, atol=1e-5)
    assert row == 7


def test_missing_image_is_an_error_by_default():
    with pytest.raises(RuntimeError, match="image not found"):
        build_qwen_calib_dataloader(MODEL_DIR, image_config(missing_image="error"))


def test_caption_mode_with_images_scores_only_the_caption():
    tok = hf_tokenizer()
    loader = build_qwen_calib_dataloader(MODEL_DIR, image_config(label_mode="caption"))
    expected = db_rows_with_images()
    row = 0
    for batch in loader:
        for b in range(batch["input_ids"].shape[0]):
            scored = batch["labels"][b][batch["labels"][b] != -100].tolist()
            assert tok.decode(scored) == expected[row][1] + "<|im_end|>"
            row += 1
    assert row == 7
