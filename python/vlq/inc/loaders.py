"""Seed-compatible calibration/eval loaders over vlq's C++ data layer.

The seed built each batch in Python (``apply_chat_template`` + tokenizer call per caption +
``pad_sequence``). Here reading, the disjoint calib/eval split, the chat template, tokenization
and collation all run in C++ (``vlq._core.prepare_data``); this module only turns the numpy
arrays into torch tensors (``torch.from_numpy``, no copy).

Batches are dicts: ``input_ids``, ``attention_mask``, ``labels`` (int64 tensors ``[B, L]``,
right-padded with pad_token_id 151643; labels are -100 on padding, and on prompt tokens in
``label_mode="caption"``) and ``prompt_text`` (list of the rendered prompts). Image+text batches
add ``pixel_values`` (float32 ``[patches, 1176]``) and ``image_grid_thw`` (int64 ``[images, 3]``).

Differences from the seed, on purpose:

* evaluation never sees calibration samples: the last ``eval_holdout`` samples of the source are
  reserved for evaluation and calibration draws only from the rest (the seed's eval loader took a
  prefix of the same captions file, i.e. its calibration samples);
* shuffling is deterministic for ``seed`` and reshuffles per epoch (epoch e uses stream (seed, e));
* ``num_workers`` is accepted for compatibility and ignored (C++ threads do the work).
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

from vlq import _core

DEFAULT_EVAL_HOLDOUT = 256


def default_data_root() -> Path:
    """``$VLQ_DATA_ROOT``, else ``../shared/data`` relative to the working directory (as the CLI)."""
    env = os.environ.get("VLQ_DATA_ROOT")
    return Path(env) if env else Path("..") / "shared" / "data"


DEFAULT_CAPTIONS_PATH = default_data_root() / "coco2017_vlm_calib" / "coco2017_captions.txt"

_SOURCE_BY_SUFFIX = {".txt": "captions", ".db": "calib-db", ".sqlite": "calib-db", ".jsonl": "jsonl", ".json": "coco-json"}


@dataclass
class QwenCalibConfig:
    captions_path: Path = DEFAULT_CAPTIONS_PATH
    max_samples: int = 512
    max_seq_len: int = 256
    batch_size: int = 8
    num_workers: int = 0
    shuffle: bool = True
    # vlq options (keyword additions; the seed's positional order above is unchanged)
    seed: int = 0
    label_mode: str = "all"  # "all" | "caption"
    bucket_by_length: bool = False
    eval_holdout: int = DEFAULT_EVAL_HOLDOUT  # source tail reserved for evaluation; 0 = none
    source: str = "auto"  # "captions" | "calib-db" | "jsonl" | "coco-json"; auto: by file suffix
    caption_prompt: str = "Describe this image."  # user prompt in label_mode="caption"
    # image+text calibration
    with_images: bool = False
    coco_root: Optional[Path] = None  # image_relpath is resolved against it; None: <data-root>/coco2017_images
    min_pixels: Optional[int] = None
    max_pixels: Optional[int] = None
    missing_image: str = "error"  # "error" | "skip"


@functools.lru_cache(maxsize=4)
def _text_assets(model_dir: str) -> Any:
    return _core.DataTextAssets.from_directory(model_dir)


def _source_kind(path: Path, source: str) -> str:
    if source != "auto":
        return source
    kind = _SOURCE_BY_SUFFIX.get(Path(path).suffix.lower())
    if kind is None:
        raise ValueError(f"{path}: cannot tell the source kind from the suffix; pass source=")
    return kind


def _core_config(model_dir: Path, config: QwenCalibConfig, **overrides: Any) -> dict:
    d = {
        "model_dir": str(model_dir),
        "source_kind": _source_kind(config.captions_path, config.source),
        "source_path": str(config.captions_path),
        "max_samples": config.max_samples,
        "max_seq_len": config.max_seq_len,
        "batch_size": config.batch_size,
        "shuffle": config.shuffle,
        "seed": config.seed,
        "label_mode": config.label_mode,
        "bucket_by_length": config.bucket_by_length,
        "eval_holdout": config.eval_holdout,
        "caption_prompt": config.caption_prompt,
        "with_images": config.with_images,
        "coco_root": str(config.coco_root if config.coco_root is not None else default_data_root() / "coco2017_images"),
        "min_pixels": config.min_pixels,
        "max_pixels": config.max_pixels,
        "missing_image": config.missing_image,
    }
    d.update(overrides)
    return d


def _to_torch(batch: dict) -> dict:
    import torch

    out = {
        "input_ids": torch.from_numpy(batch["input_ids"]),
        "attention_mask": torch.from_numpy(batch["attention_mask"]),
        "labels": torch.from_numpy(batch["labels"]),
        "prompt_text": batch["prompt_text"],
    }
    if "pixel_values" in batch:
        out["pixel_values"] = torch.from_numpy(batch["pixel_values"])
        out["image_grid_thw"] = torch.from_numpy(batch["image_grid_thw"])
    return out


class VlqDataset:
    """The loader's examples: ``len()`` and per-example dicts (unpadded ids/labels, prompt)."""

    def __init__(self, core_loader: Any):
        self._core = core_loader

    def __len__(self) -> int:
        return len(self._core)

    def __getitem__(self, index: int) -> dict:
        if index < 0:
            index += len(self)
        return self._core.example(index)


class VlqDataLoader:
    """Re-iterable loader of collated batches; each ``iter()`` is the next epoch."""

    def __init__(self, core_loader: Any, report: Optional[str] = None):
        self._core = core_loader
        self._epoch = 0
        self.dataset = VlqDataset(core_loader)
        self.report = report  # JSON text: samples read, duplicates dropped, overlap excluded, ...

    @property
    def batch_size(self) -> int:
        return self._core.batch_size

    @property
    def core(self) -> Any:
        """The C++ ``DataLoader`` (batch_plan, collate, statistics)."""
        return self._core

    def __len__(self) -> int:
        return self._core.num_batches

    def statistics(self) -> dict:
        return self._core.statistics()

    def batches(self, epoch: int) -> Iterator[dict]:
        """The batches of a given epoch (does not advance the epoch counter)."""
        for rows in self._core.batch_plan(epoch):
            yield _to_torch(self._core.collate(rows))

    def __iter__(self) -> Iterator[dict]:
        epoch = self._epoch
        self._epoch += 1
        return self.batches(epoch)


def build_qwen_calib_dataloader(model_dir: Path, config: Optional[QwenCalibConfig] = None) -> VlqDataLoader:
    """Calibration loader: the first ``max_samples`` samples of the source outside the eval holdout."""
    config = config or QwenCalibConfig()
    prepared = _core.prepare_data(
        _text_assets(str(model_dir)),
        _core_config(model_dir, config, eval_samples=0, build_eval=False),
    )
    return VlqDataLoader(prepared.calib, prepared.report)


def build_qwen_eval_dataloader(
    model_dir: Path,
    num_prompts: int = 32,
    max_seq_len: int = 256,
    batch_size: int = 4,
    *,
    config: Optional[QwenCalibConfig] = None,
    eval_jsonl: Optional[Path] = None,
) -> VlqDataLoader:
    """Eval loader disjoint from calibration.

    Samples come from the held-out tail (``config.eval_holdout``) of the same source the
    calibration loader reads, or from ``eval_jsonl`` with every sample that overlaps the
    calibration source (caption_id, image_id or normalized caption) excluded. Never shuffled.
    ``config`` supplies the source, label mode and image options; ``max_seq_len`` and
    ``batch_size`` here take precedence.
    """
    config = config or QwenCalibConfig()
    prepared = _core.prepare_data(
        _text_assets(str(model_dir)),
        _core_config(
            model_dir,
            config,
            eval_samples=num_prompts,
            max_seq_len=max_seq_len,
            eval_batch_size=batch_size,
            eval_jsonl=str(eval_jsonl) if eval_jsonl is not None else None,
            build_calib=False,
        ),
    )
    return VlqDataLoader(prepared.eval, prepared.report)


def load_dataset(dataset_dir: Path) -> VlqDataLoader:
    """Read a dataset written by ``vlq data --out`` (``<out>/calib`` or ``<out>/eval``)."""
    core_loader, manifest = _core.read_dataset(str(dataset_dir))
    loader = VlqDataLoader(core_loader)
    loader.manifest = manifest
    return loader
