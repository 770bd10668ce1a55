"""Template + tokenization + collation of the 4096 real captions, side by side in one run:

  vlq            C++ prepare_data (read file, chat template, BPE, split) + collate every batch to
                 numpy (all cores, and threads=1)
  HF tokenizers  the same chat text built with a Python f-string, `Tokenizer.encode` per caption
                 (single thread) or `encode_batch` (Rust thread pool), padded into an int64 array
  seed path      transformers per sample: apply_chat_template + tokenizer(...) + pad_sequence

Loading the tokenizers is excluded on both sides. Each timing is the best of --repeat runs.
Usage: python bench/bench_data_pipeline.py [--data-root DIR] [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from transformers import AutoTokenizer

from vlq import _core

BATCH = 8
MAX_SEQ_LEN = 256


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    default_root = os.environ.get("VLQ_DATA_ROOT") or str(Path(__file__).resolve().parents[1].parent / "shared" / "data")
    parser.add_argument("--data-root", default=default_root)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = Path(args.data_root)
    model_dir = root / "qwen2_5_vl_3b_instruct"
    captions_path = root / "coco2017_vlm_calib" / "coco2017_captions.txt"
    with open(captions_path, encoding="utf-8") as f:
        captions = [line.strip() for line in f if line.strip()]

    hf = AutoTokenizer.from_pretrained(str(model_dir))
    template = json.loads((model_dir / "chat_template.json").read_text())["chat_template"]
    backend = hf.backend_tokenizer
    backend.no_truncation()
    backend.no_padding()
    pad_id = hf.pad_token_id
    assets = _core.DataTextAssets.from_directory(str(model_dir))

    def vlq_run(threads: int):
        config = {"model_dir": str(model_dir), "source_kind": "captions", "source_path": str(captions_path),
                  "max_samples": 0, "eval_samples": 0, "eval_holdout": 0, "max_seq_len": MAX_SEQ_LEN,
                  "batch_size": BATCH, "build_eval": False, "threads": threads}
        prepared = _core.prepare_data(assets, config)
        batches = prepared.calib.collate_epoch(0)
        assert sum(b["input_ids"].shape[0] for b in batches) == len(captions)

    def chat_text(caption: str) -> str:
        return ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                f"{caption}<|im_end|>\n<|im_start|>assistant\n")

    def pad_numpy(id_lists) -> list[np.ndarray]:
        out = []
        for start in range(0, len(id_lists), BATCH):
            rows = id_lists[start : start + BATCH]
            length = max(len(r) for r in rows)
            ids = np.full((len(rows), length), pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), length), dtype=np.int64)
            for i, r in enumerate(rows):
                ids[i, : len(r)] = r
                mask[i, : len(r)] = 1
            out.append((ids, mask))
        return out

    def hf_single():
        pad_numpy([backend.encode(chat_text(c)).ids[:MAX_SEQ_LEN] for c in captions])

    def hf_batch():
        pad_numpy([e.ids[:MAX_SEQ_LEN] for e in backend.encode_batch([chat_text(c) for c in captions])])

    def seed_path():
        rows = []
        for c in captions:
            text = hf.apply_chat_template([{"role": "user", "content": [{"type": "text", "text": c}]}],
                                          tokenize=False, add_generation_prompt=True, chat_template=template)
            rows.append(hf(text, max_length=MAX_SEQ_LEN, truncation=True, padding=False))
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            pad_sequence([torch.tensor(r["input_ids"]) for r in chunk], batch_first=True, padding_value=pad_id)
            pad_sequence([torch.tensor(r["attention_mask"]) for r in chunk], batch_first=True, padding_value=0)

    # Same ids on both sides before timing anything.
    ref = [backend.encode(chat_text(c)).ids for c in captions[:64]]
    check = _core.prepare_data(assets, {"model_dir": str(model_dir), "source_kind": "captions",
                                        "source_path": str(captions_path), "max_samples": 64, "eval_samples": 0,
                                        "eval_holdout": 0, "max_seq_len": 0, "build_eval": False})
    assert [check.calib.example(i)["input_ids"] for i in range(64)] == ref

    results = {
        "vlq (all cores)": best_of(args.repeat, lambda: vlq_run(0)),
        "vlq (1 thread)": best_of(args.repeat, lambda: vlq_run(1)),
        "HF tokenizers encode (1 thread)": best_of(args.repeat, hf_single),
        "HF tokenizers encode_batch": best_of(args.repeat, hf_batch),
        "seed path (transformers per sample)": best_of(max(1, args.repeat - 2), seed_path),
    }
    base = results["vlq (all cores)"]
    base1 = results["vlq (1 thread)"]
    print(f"{len(captions)} captions, batch {BATCH}, max_seq_len {MAX_SEQ_LEN}, {os.cpu_count()} cores")
    print(f"{'pipeline':40s} {'seconds':>9s} {'x vlq':>8s} {'x vlq-1t':>9s}")
    for name, seconds in results.items():
        print(f"{name:40s} {seconds:9.4f} {seconds / base:8.2f} {seconds / base1:9.2f}")


if __name__ == "__main__":
    main()
