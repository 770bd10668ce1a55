"""INC-safe views over vlq's loaders.

vlq's loaders yield dict batches (``input_ids``, ``attention_mask``, ``labels`` as int64 torch
tensors, plus a ``prompt_text`` list). INC's adaptors consume loaders in ways that make some
batch shapes dangerous (see docs/inc.md, "Dataloader traps"):

* the PyTorch FX adaptor first tries ``for inputs, label in loader``; a dict with exactly two
  keys unpacks into two key *strings*, and a bare ``(input_ids, attention_mask)`` tuple is read as
  ``inputs=input_ids, label=attention_mask`` so the model runs without its mask;
* every entry of a dict batch is passed to ``model(**inputs)``, including non-tensors;
* the ONNX Runtime adaptor strictly iterates ``for inputs, label in loader`` and feeds
  ``inputs`` by graph input name, asserting the count matches the graph.

The views below therefore always yield ``(model_inputs, labels)`` 2-tuples whose first element
holds only real forward arguments. They are lazy and re-iterable (each ``iter`` re-iterates the
underlying loader), keep ``batch_size`` and ``dataset``, and never copy batches they do not yield.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Optional

import numpy as np
import torch

#: Forward arguments of Qwen2_5_VLForConditionalGeneration that a vlq batch may carry.
MODEL_INPUT_KEYS: tuple[str, ...] = ("input_ids", "attention_mask", "pixel_values", "image_grid_thw")
#: Keys that must be present in every batch.
REQUIRED_KEYS: tuple[str, ...] = ("input_ids", "attention_mask")
IGNORE_INDEX = -100


def _check_loader(loader: Any) -> int:
    """Return the loader's batch size, or raise: INC requires ``__iter__`` and ``batch_size > 0``."""
    if not hasattr(loader, "__iter__"):
        raise TypeError(f"loader must be iterable, got {type(loader).__name__}")
    batch_size = getattr(loader, "batch_size", None)
    if not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"loader.batch_size must be a positive int, got {batch_size!r}")
    return batch_size


def iterate_pinned(loader: Iterable[Any], epoch: Optional[int] = 0) -> Iterator[Any]:
    """Iterate one fixed epoch of ``loader`` when it supports it, else plain ``iter(loader)``.

    Why: vlq's loaders advance an epoch counter on every ``iter()`` and a shuffled loader
    reshuffles per epoch. INC re-iterates its loaders many times (calibration, the mse_v2
    "confidence batch i" lookup per pass, every trial), so "batch i" would change between
    passes. Pinning the epoch makes every re-iteration yield the same batches.
    """
    batches = getattr(loader, "batches", None)
    if epoch is not None and callable(batches):
        return iter(batches(epoch))
    return iter(loader)


def split_batch(batch: Any) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Split a vlq batch into ``(model_inputs, labels)``.

    Accepts a vlq dict batch or an already split ``(model_inputs_dict, labels)`` pair (what the
    views yield), so eval and calibration code can take either. Labels default to ``input_ids``
    with padding (``attention_mask == 0``) set to -100 when a batch has none.
    """
    if isinstance(batch, (tuple, list)) and len(batch) == 2 and isinstance(batch[0], Mapping):
        inputs, labels = batch
        source: Mapping[str, Any] = dict(inputs, labels=labels) if labels is not None else inputs
    elif isinstance(batch, Mapping):
        source = batch
    else:
        raise TypeError(
            f"expected a dict batch with input_ids/attention_mask, got {type(batch).__name__} "
            "(bare tuples lose the attention mask in INC)"
        )
    missing = [k for k in REQUIRED_KEYS if k not in source]
    if missing:
        raise KeyError(f"batch lacks required key(s) {missing}; has {sorted(source)}")
    inputs_out: dict[str, torch.Tensor] = {}
    for key in MODEL_INPUT_KEYS:
        if key in source:
            value = source[key]
            if not isinstance(value, torch.Tensor):
                raise TypeError(f"batch[{key!r}] must be a torch.Tensor, got {type(value).__name__}")
            inputs_out[key] = value
    labels_out = source.get("labels")
    if labels_out is None:
        labels_out = inputs_out["input_ids"].masked_fill(inputs_out["attention_mask"] == 0, IGNORE_INDEX)
    elif not isinstance(labels_out, torch.Tensor):
        raise TypeError(f"batch['labels'] must be a torch.Tensor, got {type(labels_out).__name__}")
    return inputs_out, labels_out


class IncPyTorchView:
    """Loader view for INC's PyTorch FX adaptor: yields ``({input_ids, attention_mask, ...}, labels)``.

    Why a 2-tuple with a dict first: INC then calls ``model(**inputs)`` in calibration, in
    ``get_example_input`` (mse_v2 sensitivity) and in evaluation, the mask is never dropped and
    the ``prompt_text`` list never reaches the HF forward.
    """

    def __init__(self, loader: Iterable[Any], max_batches: Optional[int] = None,
                 epoch: Optional[int] = 0) -> None:
        self.batch_size: int = _check_loader(loader)
        if max_batches is not None and max_batches <= 0:
            raise ValueError(f"max_batches must be positive or None, got {max_batches}")
        self.loader = loader
        self.max_batches = max_batches
        self.epoch = epoch
        self.dataset = getattr(loader, "dataset", None)

    def __iter__(self) -> Iterator[tuple[dict[str, torch.Tensor], torch.Tensor]]:
        for index, batch in enumerate(iterate_pinned(self.loader, self.epoch)):
            if self.max_batches is not None and index >= self.max_batches:
                return
            yield split_batch(batch)

    def __len__(self) -> int:
        n = len(self.loader)  # type: ignore[arg-type]
        return n if self.max_batches is None else min(n, self.max_batches)


def inc_pytorch_view(loader: Iterable[Any], max_batches: Optional[int] = None,
                     epoch: Optional[int] = 0) -> IncPyTorchView:
    """Wrap a vlq loader for ``neural_compressor.quantization.fit`` (PyTorch FX adaptor).

    ``epoch`` pins which epoch of a vlq loader every iteration yields (None: let the loader
    advance its epoch per ``iter()``, i.e. reshuffle each time if it shuffles).
    """
    return IncPyTorchView(loader, max_batches=max_batches, epoch=epoch)


def _to_int64_numpy(value: torch.Tensor, name: str) -> np.ndarray:
    """Convert one tensor to a contiguous int64 array (the dtype HF ONNX exports use)."""
    if value.is_floating_point():
        raise TypeError(f"ONNX input {name!r} must be an integer tensor, got {value.dtype}")
    return np.ascontiguousarray(value.detach().cpu().numpy().astype(np.int64, copy=False))


class OnnxRtView:
    """Loader view for INC's ONNX Runtime adaptor: yields ``({graph_input_name: int64 ndarray}, labels)``.

    The dict holds exactly ``input_names`` (INC asserts the count equals the graph inputs), in
    that order, so both name-keyed and positional feeding work. Inputs the batch cannot supply
    raise a one-line error naming what is available instead of silently feeding zeros.
    """

    def __init__(self, loader: Iterable[Any], input_names: Sequence[str],
                 max_batches: Optional[int] = None, epoch: Optional[int] = 0) -> None:
        self.batch_size: int = _check_loader(loader)
        names = list(input_names)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"input_names must be non-empty and unique, got {names}")
        self.loader = loader
        self.input_names = names
        self.max_batches = max_batches
        self.epoch = epoch
        self.dataset = getattr(loader, "dataset", None)

    def __iter__(self) -> Iterator[tuple[dict[str, np.ndarray], np.ndarray]]:
        for index, batch in enumerate(iterate_pinned(self.loader, self.epoch)):
            if self.max_batches is not None and index >= self.max_batches:
                return
            inputs, labels = split_batch(batch)
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise KeyError(f"ONNX graph inputs {missing} not in batch (has {sorted(inputs)})")
            feed = {n: _to_int64_numpy(inputs[n], n) for n in self.input_names}
            yield feed, _to_int64_numpy(labels, "labels")

    def __len__(self) -> int:
        n = len(self.loader)  # type: ignore[arg-type]
        return n if self.max_batches is None else min(n, self.max_batches)


def onnxrt_view(loader: Iterable[Any], input_names: Sequence[str],
                max_batches: Optional[int] = None, epoch: Optional[int] = 0) -> OnnxRtView:
    """Wrap a vlq loader for INC's ONNX Runtime adaptor, feeding ``input_names`` as int64 arrays."""
    return OnnxRtView(loader, input_names, max_batches=max_batches, epoch=epoch)
