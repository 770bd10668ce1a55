"""Tokenizer speed: vlq (C++, one thread) vs Hugging Face on the 4096 calibration captions
rendered through the Qwen2.5-VL chat template (user text + generation prompt, the seed's shape).

One run prints every side and the ratios (time of the peer / time of vlq; > 1 means vlq is faster):
  vlq encode (per sample, Python loop)       vs  tokenizers Tokenizer.encode (per sample)
  vlq encode_batch (1 thread)                vs  tokenizers encode_batch, RAYON_NUM_THREADS=1 (subprocess)
  vlq encode_batch (all cores)               vs  tokenizers encode_batch (all cores)
  vlq encode (per sample)                    vs  transformers Qwen2TokenizerFast.__call__ (per sample)
Each row uses a freshly loaded tokenizer, so its first pass starts with an empty word cache
("first", the realistic one-pass number); "best" is the best of --repeats passes (warm cache).

usage: python bench/bench_tokenizer.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("VLQ_DATA_ROOT") or REPO.parent / "shared" / "data")
CKPT = DATA / "qwen2_5_vl_3b_instruct"
CAPTIONS = DATA / "coco2017_vlm_calib" / "coco2017_captions.txt"


def texts():
    from vlq import _core

    chat = _core.ChatTemplate.from_directory(CKPT)
    caps = CAPTIONS.read_text().split("\n")[:-1]
    return [chat.render([{"role": "user", "content": [{"type": "text", "text": c}]}], add_generation_prompt=True)
            for c in caps]


def timed(fn, repeats):
    first = None
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        first = dt if first is None else first
        best = min(best, dt)
    return first, best


def hf_batch_single_thread(repeats):
    """Runs in a child with RAYON_NUM_THREADS=1 so rayon's pool really has one thread."""
    from tokenizers import Tokenizer  # imported after RAYON_NUM_THREADS is set
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(CKPT)).backend_tokenizer
    data = texts()
    tok = Tokenizer.from_str(tok.to_str())  # fresh cache
    first, best = timed(lambda: tok.encode_batch(data, add_special_tokens=False), repeats)
    print(json.dumps({"first": first, "best": best}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--child-hf-batch", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_hf_batch:
        hf_batch_single_thread(args.repeats)
        return

    os.environ["TOKENIZERS_PARALLELISM"] = "true"
    from transformers import AutoTokenizer

    from vlq import _core

    data = texts()
    ours = _core.Tokenizer.from_directory(CKPT)
    hf = AutoTokenizer.from_pretrained(str(CKPT))
    backend = hf.backend_tokenizer
    n_tokens = sum(len(e.ids) for e in backend.encode_batch(data, add_special_tokens=False))
    assert ours.encode_batch(data) == [e.ids for e in backend.encode_batch(data, add_special_tokens=False)]

    child = subprocess.run([sys.executable, __file__, "--child-hf-batch", "--repeats", str(args.repeats)],
                           env={**os.environ, "RAYON_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "true"},
                           check=True, capture_output=True, text=True)
    hf_batch_1 = json.loads(child.stdout.strip().splitlines()[-1])

    from tokenizers import Tokenizer

    def fresh_vlq():
        return _core.Tokenizer.from_directory(CKPT)

    def fresh_hf():
        return Tokenizer.from_str(backend.to_str())

    def fresh_transformers():
        return AutoTokenizer.from_pretrained(str(CKPT))

    rows = {}
    t = fresh_vlq()
    rows["vlq encode per sample"] = timed(lambda: [t.encode(s) for s in data], args.repeats)
    t = fresh_vlq()
    rows["vlq encode_batch 1 thread"] = timed(lambda: t.encode_batch(data), args.repeats)
    t = fresh_vlq()
    rows[f"vlq encode_batch {os.cpu_count()} threads"] = timed(
        lambda: t.encode_batch(data, num_threads=os.cpu_count()), args.repeats)
    h = fresh_hf()
    rows["tokenizers encode per sample"] = timed(lambda: [h.encode(s, add_special_tokens=False) for s in data], args.repeats)
    rows["tokenizers encode_batch 1 thread"] = (hf_batch_1["first"], hf_batch_1["best"])
    h = fresh_hf()
    rows["tokenizers encode_batch all threads"] = timed(lambda: h.encode_batch(data, add_special_tokens=False), args.repeats)
    tf = fresh_transformers()
    rows["transformers __call__ per sample"] = timed(lambda: [tf(s)["input_ids"] for s in data], args.repeats)
    print(f"{len(data)} chat-templated captions, {n_tokens} tokens, {os.cpu_count()} cores, best of {args.repeats}")
    for name, (first, best) in rows.items():
        print(f"  {name:40s} best {best * 1e3:8.1f} ms  first {first * 1e3:8.1f} ms  {n_tokens / best / 1e6:6.2f} Mtok/s")
    v = rows["vlq encode per sample"][1]
    vb = rows["vlq encode_batch 1 thread"][1]
    vbn = rows[f"vlq encode_batch {os.cpu_count()} threads"][1]
    print("ratios (peer time / vlq time, best of runs):")
    print(f"  tokenizers encode per sample  / vlq encode per sample    = {rows['tokenizers encode per sample'][1] / v:5.2f}x")
    print(f"  tokenizers encode_batch 1 thr / vlq encode_batch 1 thr   = {rows['tokenizers encode_batch 1 thread'][1] / vb:5.2f}x")
    print(f"  tokenizers encode_batch all   / vlq encode_batch 1 thr   = {rows['tokenizers encode_batch all threads'][1] / vb:5.2f}x")
    print(f"  tokenizers encode_batch all   / vlq encode_batch all     = {rows['tokenizers encode_batch all threads'][1] / vbn:5.2f}x")
    print(f"  transformers __call__         / vlq encode per sample    = {rows['transformers __call__ per sample'][1] / v:5.2f}x")
    print("first-pass (cold cache) ratio, tokenizers per sample / vlq per sample = "
          f"{rows['tokenizers encode per sample'][0] / rows['vlq encode per sample'][0]:5.2f}x")


if __name__ == "__main__":
    main()
