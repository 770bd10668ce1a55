"""Loader behaviour: calib/eval disjointness, determinism, re-iteration, the seed's API shape."""
from __future__ import annotations

import json

import pytest
import torch

from _data_support import CALIB_DIR, CAPTIONS, MODEL_DIR, read_captions
from vlq.inc import QwenCalibConfig, build_qwen_calib_dataloader, build_qwen_eval_dataloader
from vlq.inc.loaders import load_dataset


def _texts(loader) -> list[str]:
    return [t for batch in loader for t in batch["prompt_text"]]


def test_seed_defaults_and_shape():
    loader = build_qwen_calib_dataloader(MODEL_DIR, QwenCalibConfig(captions_path=CAPTIONS))
    assert len(loader.dataset) == 512 and loader.batch_size == 8 and len(loader) == 64
    batch = next(iter(loader))
    assert set(batch) == {"input_ids", "attention_mask", "labels", "prompt_text"}
    assert batch["input_ids"].shape == batch["attention_mask"].shape == batch["labels"].shape
    assert batch["input_ids"].shape[0] == 8 and len(batch["prompt_text"]) == 8


def test_calibration_and_eval_are_disjoint():
    calib = build_qwen_calib_dataloader(MODEL_DIR, QwenCalibConfig(captions_path=CAPTIONS, max_samples=4096))
    evaluation = build_qwen_eval_dataloader(MODEL_DIR, num_prompts=256)
    calib_texts, eval_texts = _texts(calib), _texts(evaluation)
    assert len(calib_texts) == 4096 - 256  # everything outside the holdout
    assert 0 < len(eval_texts) <= 256
    assert not set(calib_texts) & set(eval_texts)
    report = json.loads(evaluation.report)
    assert len(eval_texts) + report["overlap_excluded"] == 256
    # The holdout is the file's tail: every eval caption is one of the last 256 lines.
    tail = set(read_captions()[-256:])
    for text in eval_texts:
        assert any(c in text for c in tail)


def test_eval_jsonl_overlapping_calibration_is_refused():
    # coco2017_vlm_eval_100.jsonl rows are DB rows 1..100 = calibration lines 1..100.
    with pytest.raises(RuntimeError, match="no eval samples left: all 100 candidates overlap"):
        build_qwen_eval_dataloader(MODEL_DIR, num_prompts=100, eval_jsonl=CALIB_DIR / "coco2017_vlm_eval_100.jsonl")


def test_shuffle_is_deterministic_per_seed_and_reshuffles_per_epoch():
    config = QwenCalibConfig(captions_path=CAPTIONS, max_samples=64, shuffle=True, seed=3)
    a = build_qwen_calib_dataloader(MODEL_DIR, config)
    b = build_qwen_calib_dataloader(MODEL_DIR, config)
    a0, a1 = _texts(a), _texts(a)  # two epochs of the same loader
    b0 = _texts(b)
    assert a0 == b0
    assert a0 != a1 and sorted(a0) == sorted(a1)
    unshuffled = _texts(build_qwen_calib_dataloader(MODEL_DIR, QwenCalibConfig(captions_path=CAPTIONS, max_samples=64, shuffle=False)))
    assert a0 != unshuffled and sorted(a0) == sorted(unshuffled)


def test_db_source_deduplicates_and_matches_text_source():
    db = build_qwen_calib_dataloader(MODEL_DIR, QwenCalibConfig(captions_path=CALIB_DIR / "coco2017_vlm_calib.db",
                                                                max_samples=0, shuffle=False))
    txt = build_qwen_calib_dataloader(MODEL_DIR, QwenCalibConfig(captions_path=CAPTIONS, max_samples=0, shuffle=False))
    assert json.loads(db.report)["duplicates_dropped"] == 4096
    assert len(db.dataset) == len(txt.dataset) == 4096 - 256
    for x, y in zip(db, txt, strict=True):
        assert torch.equal(x["input_ids"], y["input_ids"])


def test_bucketing_cuts_padding():
    plain = build_qwen_calib_dataloader(MODEL_DIR, QwenCalibConfig(captions_path=CAPTIONS, seed=1))
    bucketed = build_qwen_calib_dataloader(MODEL_DIR, QwenCalibConfig(captions_path=CAPTIONS, seed=1, bucket_by_length=True))
    assert bucketed.statistics()["padding_fraction"] < plain.statistics()["padding_fraction"]
    assert sorted(_texts(bucketed)) == sorted(_texts(plain))


def test_dataset_round_trip(tmp_path):
    from vlq import _core
    from vlq.inc import loaders

    config = QwenCalibConfig(captions_path=CAPTIONS, max_samples=40, batch_size=6, shuffle=True, seed=9)
    prepared = _core.prepare_data(loaders._text_assets(str(MODEL_DIR)),
                                  loaders._core_config(MODEL_DIR, config, eval_samples=16))
    prepared.write(str(tmp_path))
    fresh = build_qwen_calib_dataloader(MODEL_DIR, config)
    back = load_dataset(tmp_path / "calib")
    manifest = json.loads(back.manifest)
    assert manifest["num_examples"] == 40 and manifest["split"] == "calib"
    for epoch in range(2):
        for x, y in zip(fresh.batches(epoch), back.batches(epoch), strict=True):
            assert torch.equal(x["input_ids"], y["input_ids"]) and torch.equal(x["labels"], y["labels"])
            assert x["prompt_text"] == y["prompt_text"]
