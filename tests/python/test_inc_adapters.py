"""INC-safe loader views: the FX adaptor's traps, checked with INC's own consumer code."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from inc_micro_checkpoint import CAPTIONS, micro_checkpoint

pytest.importorskip("neural_compressor")

from neural_compressor.adaptor.torch_utils.util import get_example_input  # noqa: E402
from neural_compressor.data.dataloaders.dataloader import check_dataloader  # noqa: E402

from vlq.inc import QwenCalibConfig, build_qwen_calib_dataloader  # noqa: E402
from vlq.inc.adapters import inc_pytorch_view, onnxrt_view, split_batch  # noqa: E402


@pytest.fixture(scope="module")
def calib():
    cfg = QwenCalibConfig(captions_path=CAPTIONS, max_samples=8, max_seq_len=40, batch_size=3, shuffle=True)
    return build_qwen_calib_dataloader(micro_checkpoint(), cfg)


class _ListLoader:
    """A minimal user loader (what INC accepts: ``__iter__`` + ``batch_size``)."""

    def __init__(self, batches, batch_size):
        self.batches_list, self.batch_size = batches, batch_size

    def __iter__(self):
        return iter(self.batches_list)


def _same(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_view_yields_model_inputs_and_labels(calib):
    view = inc_pytorch_view(calib)
    check_dataloader(view)
    assert view.batch_size == calib.batch_size == 3
    assert view.dataset is calib.dataset
    n = 0
    for inputs, labels in view:
        n += 1
        assert set(inputs) == {"input_ids", "attention_mask"}  # no prompt_text, no labels
        assert all(v.dtype == torch.int64 for v in inputs.values())
        assert labels.shape == inputs["input_ids"].shape
        assert bool((labels[inputs["attention_mask"] == 0] == -100).all())
    assert n == len(view) == 3  # 8 samples, batch 3


def test_view_is_reiterable_and_pinned_even_when_shuffled(calib):
    view = inc_pytorch_view(calib)
    first = [b[0] for b in view]
    second = [b[0] for b in view]
    assert len(first) == len(second)
    assert all(_same(a, b) for a, b in zip(first, second))


def test_inc_example_input_is_a_full_dict(calib):
    """mse_v2 takes batch i via get_example_input and calls model(**it): it must keep the mask."""
    example = get_example_input(inc_pytorch_view(calib), 1)
    assert isinstance(example, dict) and set(example) == {"input_ids", "attention_mask"}


def test_trap_two_key_dict_becomes_a_string_in_inc():
    """Why the view exists: a 2-key dict batch unpacks into its key strings inside INC."""
    batch = {"input_ids": torch.ones(1, 4, dtype=torch.long), "attention_mask": torch.ones(1, 4, dtype=torch.long)}
    raw = _ListLoader([batch], 1)
    assert get_example_input(raw, 0) == "input_ids"
    example = get_example_input(inc_pytorch_view(raw), 0)
    assert isinstance(example, dict) and _same(example, batch)


def test_trap_bare_tuple_loses_the_mask_in_inc():
    """A bare (ids, mask) tuple is read by INC as input=ids, label=mask; the view refuses it."""
    ids, mask = torch.ones(1, 4, dtype=torch.long), torch.tensor([[1, 1, 0, 0]])
    raw = _ListLoader([(ids, mask)], 1)
    assert torch.equal(get_example_input(raw, 0), ids)  # the mask is gone
    with pytest.raises(TypeError, match="attention mask"):
        list(inc_pytorch_view(raw))


def test_non_tensor_model_input_is_rejected():
    batch = {"input_ids": [[1, 2]], "attention_mask": torch.ones(1, 2, dtype=torch.long)}
    with pytest.raises(TypeError, match="input_ids"):
        split_batch(batch)


def test_missing_mask_is_rejected():
    with pytest.raises(KeyError, match="attention_mask"):
        split_batch({"input_ids": torch.ones(1, 2, dtype=torch.long)})


@pytest.mark.parametrize("bad", [0, -1, None, "8"])
def test_bad_batch_size_is_rejected(bad):
    with pytest.raises(ValueError, match="batch_size"):
        inc_pytorch_view(_ListLoader([], bad))


def test_onnxrt_view_feeds_int64_by_graph_input_name(calib):
    names = ["attention_mask", "input_ids"]  # graph order, not batch order
    view = onnxrt_view(calib, names)
    check_dataloader(view)
    pairs = list(view)
    assert len(pairs) == 3
    for (feed, label), (inputs, labels) in zip(pairs, inc_pytorch_view(calib)):
        assert list(feed) == names  # exactly the graph inputs, in order (INC asserts the count)
        assert all(isinstance(v, np.ndarray) and v.dtype == np.int64 and v.flags.c_contiguous
                   for v in feed.values())
        assert np.array_equal(feed["input_ids"], inputs["input_ids"].numpy())
        assert np.array_equal(feed["attention_mask"], inputs["attention_mask"].numpy())
        assert label.dtype == np.int64 and np.array_equal(label, labels.numpy())


def test_onnxrt_view_errors(calib):
    with pytest.raises(KeyError, match="position_ids"):
        next(iter(onnxrt_view(calib, ["input_ids", "position_ids"])))
    with pytest.raises(ValueError, match="unique"):
        onnxrt_view(calib, ["input_ids", "input_ids"])
    floats = _ListLoader([{"input_ids": torch.zeros(1, 2), "attention_mask": torch.ones(1, 2, dtype=torch.long)}], 1)
    with pytest.raises(TypeError, match="integer"):
        next(iter(onnxrt_view(floats, ["input_ids"])))
