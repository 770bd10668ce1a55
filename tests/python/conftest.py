"""Shared pytest fixtures."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tiny_checkpoints  # noqa: E402


@pytest.fixture(scope="session")
def tiny_root() -> Path:
    """The three tiny Qwen2.5-VL checkpoints (tiny_a/b/c), built once with transformers."""
    root = tiny_checkpoints.cached_root()
    for variant in ("tiny_a", "tiny_b", "tiny_c"):
        tiny_checkpoints.make_checkpoint(variant, root)
    return root
