"""A 1-layer, 1-vision-block Qwen2.5-VL checkpoint for the INC tests (keeps INC runs to seconds).

INC's FX adaptor rebuilds the whole model per scored op and compares module reprs pairwise, so
its cost grows fast with the module count; the shared tiny_a (2 layers, 2 vision blocks) is
several times slower. The real vocabulary (151936) is kept so real token ids work.
"""
from __future__ import annotations

import os
from pathlib import Path

import tiny_checkpoints

MICRO = "inc_micro"
tiny_checkpoints.VARIANTS.setdefault(MICRO, dict(
    text=dict(hidden_size=32, num_attention_heads=2, num_key_value_heads=1, num_hidden_layers=1,
              intermediate_size=48, mrope_section=[2, 3, 3], tie_word_embeddings=True),
    vision=dict(depth=1, hidden_size=32, num_heads=2, intermediate_size=48, fullatt_block_indexes=[0]),
    dtype="float32",
))

REPO = Path(__file__).resolve().parents[2]
DATA_ROOT = Path(os.environ.get("VLQ_DATA_ROOT", REPO.parent / "shared" / "data"))
CAPTIONS = DATA_ROOT / "coco2017_vlm_calib" / "coco2017_captions.txt"
CACHE = Path(os.environ.get("VLQ_TEST_CACHE", Path.home() / ".cache" / "vlq" / "test-checkpoints"))


def micro_checkpoint() -> Path:
    """Build (once, cached on disk) and return the micro checkpoint directory."""
    return tiny_checkpoints.make_checkpoint(MICRO, CACHE)
