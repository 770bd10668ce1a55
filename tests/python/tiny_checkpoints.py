"""Tiny random Qwen2.5-VL checkpoints built with the real `transformers` classes.

Used as fixtures by the C++ parity tests, the Python oracle tests, the INC tests and the
benchmarks. Nothing here is committed as weights: checkpoints are generated on demand (fixed
seed, `save_pretrained` to safetensors) into a cache directory.

Usage: python tests/python/tiny_checkpoints.py OUT_ROOT [VARIANT ...]
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

# The real tokenizer has ids up to 151664; keep the real vocab size so real token ids work.
REAL_VOCAB = 151936

VARIANTS: dict[str, dict] = {
    # GQA 2:1, tied lm_head, 2 vision blocks (window + full).
    "tiny_a": dict(
        text=dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, num_hidden_layers=2,
                  intermediate_size=96, mrope_section=[2, 3, 3], tie_word_embeddings=True),
        vision=dict(depth=2, hidden_size=32, num_heads=2, intermediate_size=48, fullatt_block_indexes=[1]),
        dtype="float32",
    ),
    # 6 heads / 3 kv heads (head_dim 12), untied lm_head, 3 vision blocks, bf16 on disk.
    "tiny_b": dict(
        text=dict(hidden_size=72, num_attention_heads=6, num_key_value_heads=3, num_hidden_layers=3,
                  intermediate_size=136, mrope_section=[2, 2, 2], tie_word_embeddings=False),
        vision=dict(depth=3, hidden_size=48, num_heads=3, intermediate_size=72, fullatt_block_indexes=[2]),
        dtype="bfloat16",
    ),
    # MQA (8 heads : 1 kv head), odd intermediate size, tied, 4 vision blocks.
    "tiny_c": dict(
        text=dict(hidden_size=96, num_attention_heads=8, num_key_value_heads=1, num_hidden_layers=2,
                  intermediate_size=131, mrope_section=[2, 2, 2], tie_word_embeddings=True),
        vision=dict(depth=4, hidden_size=40, num_heads=2, intermediate_size=61, fullatt_block_indexes=[1, 3]),
        dtype="float32",
    ),
}

SHARED_DATA = Path(os.environ.get("VLQ_DATA_ROOT", Path(__file__).resolve().parents[3] / "shared" / "data"))
REAL_MODEL_DIR = SHARED_DATA / "qwen2_5_vl_3b_instruct"
TOKENIZER_FILES = ["vocab.json", "merges.txt", "tokenizer_config.json", "chat_template.json",
                   "preprocessor_config.json", "generation_config.json"]


def make_config(variant: str):
    from transformers import Qwen2_5_VLConfig

    spec = VARIANTS[variant]
    t, v = spec["text"], spec["vision"]
    real = json.loads((REAL_MODEL_DIR / "config.json").read_text())
    vision = dict(real["vision_config"])
    vision.update(depth=v["depth"], hidden_size=v["hidden_size"], num_heads=v["num_heads"],
                  intermediate_size=v["intermediate_size"], out_hidden_size=t["hidden_size"],
                  fullatt_block_indexes=v["fullatt_block_indexes"])
    cfg = dict(real)
    cfg.pop("vision_config")
    cfg.update(hidden_size=t["hidden_size"], num_attention_heads=t["num_attention_heads"],
               num_key_value_heads=t["num_key_value_heads"], num_hidden_layers=t["num_hidden_layers"],
               intermediate_size=t["intermediate_size"], tie_word_embeddings=t["tie_word_embeddings"],
               vocab_size=REAL_VOCAB, torch_dtype=spec["dtype"],
               rope_scaling={"type": "mrope", "mrope_section": t["mrope_section"]})
    cfg["vision_config"] = vision
    return Qwen2_5_VLConfig(**cfg)


def make_checkpoint(variant: str, out_dir: Path, seed: int = 0) -> Path:
    """Builds (or reuses) the tiny checkpoint `variant` in out_dir/variant and returns the path."""
    import torch
    from transformers import Qwen2_5_VLForConditionalGeneration

    path = Path(out_dir) / variant
    if (path / "config.json").exists() and any(path.glob("*.safetensors")):
        return path
    tmp = path.with_name(path.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    torch.manual_seed(seed)
    config = make_config(variant)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    # Random init has tiny std (0.02); widen norms and biases so numerics are exercised.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or "norm" in name or "ln_q" in name:
                p.add_(torch.randn_like(p) * 0.1)
    dtype = getattr(torch, VARIANTS[variant]["dtype"])
    model.to(dtype).save_pretrained(tmp, safe_serialization=True)
    for name in TOKENIZER_FILES:
        src = REAL_MODEL_DIR / name
        if src.exists():
            shutil.copyfile(src, tmp / name)
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return path


if __name__ == "__main__":
    root = Path(sys.argv[1])
    names = sys.argv[2:] or list(VARIANTS)
    for n in names:
        print(make_checkpoint(n, root))


def cached_root() -> Path:
    """Test cache for built checkpoints, keyed by this builder's source so an edited recipe
    never reuses stale checkpoints ($VLQ_TEST_CACHE, default ~/.cache/vlq/test)."""
    import hashlib

    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    base = Path(os.environ.get("VLQ_TEST_CACHE", Path.home() / ".cache" / "vlq" / "test"))
    root = base / f"tiny_checkpoints_{digest}"
    root.mkdir(parents=True, exist_ok=True)
    return root
