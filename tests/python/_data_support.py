"""Shared fixtures for the data-layer tests: the real data root and the HF oracle tokenizer."""
from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA_ROOT = Path(os.environ.get("VLQ_DATA_ROOT") or (REPO.parent / "shared" / "data")).resolve()
MODEL_DIR = DATA_ROOT / "qwen2_5_vl_3b_instruct"
CALIB_DIR = DATA_ROOT / "coco2017_vlm_calib"
CAPTIONS = CALIB_DIR / "coco2017_captions.txt"


@functools.lru_cache(maxsize=1)
def hf_tokenizer():
    """The oracle: transformers' Qwen2 fast tokenizer built from the shared vocab/merges files."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(MODEL_DIR))


@functools.lru_cache(maxsize=1)
def hf_chat_template() -> str:
    # The processor's multimodal template (tokenizer_config.json holds the text-only one, which
    # cannot render list content).
    return json.loads((MODEL_DIR / "chat_template.json").read_text())["chat_template"]


def read_captions(path: Path = CAPTIONS) -> list[str]:
    """The seed's reading: stripped lines, empty ones skipped."""
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def vlq_cli() -> str:
    # $VLQ_BUILD_DIR (set by scripts/test.sh to the CMake build of the same tree) first, so a
    # developer can test a fresh build without reinstalling; else the CLI `pip install .` put
    # next to python.
    build = os.environ.get("VLQ_BUILD_DIR")
    if build and (Path(build) / "vlq").exists():
        return str(Path(build) / "vlq")
    candidate = Path(sys.executable).parent / "vlq"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("vlq")
    assert found, "the vlq CLI is not installed (pip install . installs it next to python)"
    return found
