"""mse_v2 capture plumbing and INC's multi-batch ordering, checked on INC's own functions (fast)."""
from __future__ import annotations

import pytest
import torch

pytest.importorskip("neural_compressor")

import neural_compressor.adaptor.torch_utils.util as nc_util  # noqa: E402

from vlq.inc.sensitivity import MseCapture, SensitivityPass, capture_mse_v2, make_op_filter  # noqa: E402
from vlq.inc.sensitivity import sensitivity_markdown, sensitivity_report  # noqa: E402


def test_capture_restores_inc_module_exactly():
    before = (nc_util.get_mse_order_per_fp32, nc_util.get_mse_order_per_int8, nc_util.tqdm)
    had_sorted = "sorted" in vars(nc_util)
    with pytest.raises(RuntimeError):
        with capture_mse_v2(make_op_filter(max_ops=1)):
            assert nc_util.get_mse_order_per_fp32 is not before[0]
            raise RuntimeError("boom")
    assert (nc_util.get_mse_order_per_fp32, nc_util.get_mse_order_per_int8, nc_util.tqdm) == before
    assert ("sorted" in vars(nc_util)) == had_sorted


def test_op_filter_is_stable_and_capped():
    admit = make_op_filter(max_ops=2, exclude=r"^model\.visual\.")
    names = ["model.visual.patch_embed.proj", "a.q_proj.module", "a.k_proj.module", "a.v_proj.module"]
    assert [admit(n) for n in names] == [False, True, True, False]
    assert [admit(n) for n in reversed(names)] == [False, True, True, False]  # same set on later passes
    assert make_op_filter() is None
    with pytest.raises(ValueError, match="max_ops"):
        make_op_filter(max_ops=0)


def test_inc_multi_batch_vote_ignores_the_first_batch(monkeypatch):
    """get_fallback_order's vote is len(order_dict) - i; order_dict is empty while batch 0 is
    processed, so batch 0 adds 0 to every op and the returned order is batch 1's."""
    orders = iter([[("a", "Linear"), ("b", "Linear"), ("c", "Linear")],
                   [("c", "Linear"), ("b", "Linear"), ("a", "Linear")]])
    monkeypatch.setattr(nc_util, "get_mse_order_per_fp32", lambda *args: next(orders))
    monkeypatch.setattr(nc_util, "get_example_input", lambda loader, i: i)
    result = nc_util.get_fallback_order(None, torch.nn.Identity(), None, None, 2, fallback=True)
    assert result == [("c", "Linear"), ("b", "Linear"), ("a", "Linear")]


def test_report_ranks_ascending_with_most_sensitive_first():
    scan = {("x.module", "Linear"): 3.0, ("y.module", "Linear"): 1.0, ("z", "Embedding"): 2.0}
    capture = MseCapture(passes=[SensitivityPass("fallback", [scan], [("y.module", "Linear")])])
    report = sensitivity_report(capture, {"strategy": "mse_v2"})
    rows = report["fp32_fallback_sensitivity"]
    assert [r["op_name"] for r in rows] == ["y.module", "z", "x.module"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert "rank 1 = MOST sensitive" in report["meta"]["ordering"]
    assert report["int8_requant_sensitivity"] == []
    md = sensitivity_markdown(report)
    assert md.index("`y.module`") < md.index("`x.module`")
