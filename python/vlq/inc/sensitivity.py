"""Capture the per-op MSE values INC 2.x ``mse_v2`` computes, and run one sensitivity pass.

INC's PyTorch FX helpers (``neural_compressor.adaptor.torch_utils.util.get_mse_order_per_fp32``
and ``get_mse_order_per_int8``) compute one summed squared error per candidate op, sort the
candidates by it and return only the ordered ``(op_name, op_type)`` list. The seed project copied
both functions to see the values. Here nothing is copied: while ``capture_mse_v2()`` is active,

* the two helpers are wrapped (so each call is recorded as one *pass*: phase, returned order);
* the module-level name ``sorted`` in that module is shadowed by a transparent wrapper which,
  inside a wrapped helper, records ``key(item)`` for every item - INC sorts the candidates with
  ``key=lambda k: fallback_order[k]``, so the keys *are* the MSE values;
* optionally the module-level ``tqdm`` (INC iterates the candidates through it) is shadowed by a
  filter that lets only selected op names through - this caps the number of scored ops while
  every other op stays quantized in each candidate model.

Ordering semantics (INC's, stated correctly): in the fallback phase each value is the residual
last-module SSE with *that op kept in FP32* and all others INT8, sorted ascending; the FIRST entry
is the MOST sensitive op (falling it back removes the most error) and mse_v2 falls it back first.
In the re-quant phase each value is the SSE after re-quantizing that op (cumulatively, INC never
undoes earlier candidates inside the loop); the first entry is the cheapest op to re-quantize.
"""
from __future__ import annotations

import builtins
import contextlib
import copy
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

OpKey = tuple[str, str]


@dataclass
class SensitivityPass:
    """One call of an INC MSE helper: phase, per-op values and the order INC returned."""

    phase: str  # "fallback" (get_mse_order_per_fp32) or "requant" (get_mse_order_per_int8)
    # One dict per ``sorted`` call inside the helper: the first is the full candidate scan, a
    # second one in the fallback phase is INC's "double check" re-score of the lowest few
    # with the worst op also fallen back.
    scans: list[dict[OpKey, float]] = field(default_factory=list)
    order: list[OpKey] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the helper call (all rebuilds of this pass)


@dataclass
class MseCapture:
    """Everything recorded while ``capture_mse_v2`` was active."""

    passes: list[SensitivityPass] = field(default_factory=list)
    scored_filter: Optional[str] = None

    def fallback_passes(self) -> list[SensitivityPass]:
        """Passes of the fallback phase, in the order INC ran them."""
        return [p for p in self.passes if p.phase == "fallback"]

    def requant_passes(self) -> list[SensitivityPass]:
        """Passes of the re-quant phase, in the order INC ran them."""
        return [p for p in self.passes if p.phase == "requant"]


def _is_op_key(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 2 and all(isinstance(s, str) for s in item)


def make_op_filter(max_ops: Optional[int] = None, include: Optional[str] = None,
                   exclude: Optional[str] = None) -> Optional[Callable[[str], bool]]:
    """A stateful predicate admitting op names matching ``include`` and not ``exclude``, at most ``max_ops``.

    Why stateful: INC scans candidates in op-config order; the first ``max_ops`` admitted names
    are remembered, so every later pass scores the same ops (never a sliding window).
    """
    if max_ops is None and include is None and exclude is None:
        return None
    if max_ops is not None and max_ops <= 0:
        raise ValueError(f"max_ops must be positive or None, got {max_ops}")
    inc_re = re.compile(include) if include else None
    exc_re = re.compile(exclude) if exclude else None
    admitted: list[str] = []

    def admit(name: str) -> bool:
        if name in admitted:
            return True
        if inc_re is not None and not inc_re.search(name):
            return False
        if exc_re is not None and exc_re.search(name):
            return False
        if max_ops is not None and len(admitted) >= max_ops:
            return False
        admitted.append(name)
        return True

    return admit


@contextlib.contextmanager
def capture_mse_v2(op_filter: Optional[Callable[[str], bool]] = None) -> Iterator[MseCapture]:
    """Record the MSE values of every INC PyTorch-FX sensitivity pass run inside the block.

    ``op_filter(op_name) -> bool`` restricts which candidates INC scores (``None``: all).
    Restores INC's module exactly on exit, also on error.
    """
    import neural_compressor.adaptor.torch_utils.util as nc_util

    capture = MseCapture()
    active: list[SensitivityPass] = []
    orig_fp32 = nc_util.get_mse_order_per_fp32
    orig_int8 = nc_util.get_mse_order_per_int8
    orig_tqdm = nc_util.tqdm
    had_sorted = "sorted" in vars(nc_util)

    def recording_sorted(iterable: Iterable[Any], *, key: Any = None, reverse: bool = False) -> list[Any]:
        items = list(iterable)
        if active and key is not None and items and all(_is_op_key(i) for i in items):
            active[-1].scans.append({i: float(key(i)) for i in items})
        return builtins.sorted(items, key=key, reverse=reverse)

    def filtering_tqdm(iterable: Iterable[Any], *args: Any, **kwargs: Any) -> Any:
        if not active or op_filter is None:
            return orig_tqdm(iterable, *args, **kwargs)
        kept = [i for i in iterable if _admitted(i, op_filter)]
        return orig_tqdm(kept, *args, **kwargs)

    def wrap(phase: str, original: Callable[..., list[OpKey]]) -> Callable[..., list[OpKey]]:
        def wrapper(*args: Any, **kwargs: Any) -> list[OpKey]:
            record = SensitivityPass(phase=phase)
            active.append(record)
            start = time.perf_counter()
            try:
                order = original(*args, **kwargs)
            finally:
                record.seconds = time.perf_counter() - start
                active.pop()
            record.order = list(order)
            capture.passes.append(record)
            return order

        return wrapper

    nc_util.get_mse_order_per_fp32 = wrap("fallback", orig_fp32)
    nc_util.get_mse_order_per_int8 = wrap("requant", orig_int8)
    nc_util.sorted = recording_sorted  # type: ignore[attr-defined]
    nc_util.tqdm = filtering_tqdm
    try:
        yield capture
    finally:
        nc_util.get_mse_order_per_fp32 = orig_fp32
        nc_util.get_mse_order_per_int8 = orig_int8
        nc_util.tqdm = orig_tqdm
        if not had_sorted:
            del nc_util.sorted  # type: ignore[attr-defined]


def _admitted(item: Any, op_filter: Callable[[str], bool]) -> bool:
    """Candidates are ``(op_name, qconfig)`` pairs or ``(op_name, op_type)`` keys; INC's
    ``bf16_ops_list`` bookkeeping entry always passes."""
    name = item[0] if isinstance(item, tuple) else item
    return not isinstance(name, str) or name == "bf16_ops_list" or op_filter(name)


def run_fallback_sensitivity_pass(model: Any, conf: Any, calib_dataloader: Any,
                                  confidence_batches: int = 1,
                                  op_filter: Optional[Callable[[str], bool]] = None) -> MseCapture:
    """Run exactly one mse_v2 fallback-sensitivity scan from the all-INT8 starting point.

    Why: inside ``fit`` mse_v2 only computes sensitivities when the stage-1 configs miss the
    accuracy goal, so a run that meets the goal early reports none. This builds INC's own
    strategy objects (tuning space, first op-type-wise config), quantizes once (which also
    decides INC's traced sub-graphs) and calls ``adaptor.calculate_op_sensitivity`` like mse_v2.
    Uses INC 2.x internals (frozen: the 2.x API ends with 3.7.1).
    """
    from neural_compressor.config import _Config
    from neural_compressor.model import Model
    from neural_compressor.strategy import STRATEGIES

    wrapped = Model(model, conf=conf)
    config = _Config(quantization=conf, benchmark=None, pruning=None, distillation=None, nas=None)
    strategy = STRATEGIES["mse_v2"](model=wrapped, conf=config, q_dataloader=calib_dataloader)
    strategy._prepare_tuning()
    _, _, op_tuning_cfg = strategy.initial_tuning_cfg()
    op_tuning_cfg["calib_sampling_size"] = conf.calibration_sampling_size[0]
    tune_cfg = strategy._tune_cfg_converter(op_tuning_cfg)
    # Without an eval_func INC runs "performance only" and quantizes the model it is given in
    # place; hand it a copy so the FP32 model the scan starts from stays FP32.
    strategy.adaptor.quantize(copy.deepcopy(tune_cfg), copy.deepcopy(strategy.model), calib_dataloader)
    with capture_mse_v2(op_filter) as capture:
        strategy.adaptor.calculate_op_sensitivity(strategy.model, calib_dataloader, copy.deepcopy(tune_cfg),
                                                  None, confidence_batches, fallback=True)
    return capture


ORDERING_NOTE = (
    "fallback phase: value = last-module summed squared error (vs FP32) with that op kept in FP32 "
    "and all other candidates INT8; sorted ascending; rank 1 = MOST sensitive op (keeping it in "
    "FP32 removes the most error; mse_v2 falls it back first). Ops whose values equal the all-INT8 "
    "error had no effect on the scored batch (e.g. vision ops under text-only calibration)."
)
REQUANT_NOTE = (
    "re-quant phase: value = error after re-quantizing that FP32 op (cumulative within a pass); "
    "sorted ascending; rank 1 = cheapest op to re-quantize."
)


def _rows(scan: dict[OpKey, float]) -> list[dict[str, Any]]:
    """A scan as rows sorted ascending by value, ties kept in INC's candidate order."""
    ordered = builtins.sorted(scan.items(), key=lambda kv: kv[1])
    return [{"rank": i, "op_name": k[0], "op_type": k[1], "mse": v} for i, (k, v) in enumerate(ordered, start=1)]


def sensitivity_report(capture: MseCapture, meta: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready report: the first full scan of each phase, plus every pass INC ran."""
    fallback = capture.fallback_passes()
    requant = capture.requant_passes()
    return {
        "meta": dict(meta, ordering=ORDERING_NOTE, requant_ordering=REQUANT_NOTE),
        "fp32_fallback_sensitivity": _rows(fallback[0].scans[0]) if fallback and fallback[0].scans else [],
        "int8_requant_sensitivity": _rows(requant[0].scans[0]) if requant and requant[0].scans else [],
        "passes": [
            {"phase": p.phase, "seconds": round(p.seconds, 3), "returned_order": [list(k) for k in p.order],
             "scans": [_rows(s) for s in p.scans]}
            for p in capture.passes
        ],
    }


def sensitivity_markdown(report: dict[str, Any]) -> str:
    """Markdown tables for the report, with the ordering semantics spelled out."""
    meta = report["meta"]
    lines = ["# INC mse_v2 op sensitivity (PyTorch FX, CPU)", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items() if k not in ("ordering", "requant_ordering")]
    lines += ["", "## FP32-fallback sensitivity (rank 1 = most sensitive)", "", meta["ordering"], ""]
    lines += _table(report["fp32_fallback_sensitivity"])
    if report["int8_requant_sensitivity"]:
        lines += ["", "## INT8 re-quant cost (rank 1 = cheapest to re-quantize)", "", meta["requant_ordering"], ""]
        lines += _table(report["int8_requant_sensitivity"])
    lines += ["", f"INC ran {len(report['passes'])} sensitivity pass(es); all are in the JSON under `passes`.", ""]
    return "\n".join(lines)


def _table(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["(no ops scored)"]
    out = ["| rank | op name | op type | MSE (sum of squares) |", "| --- | --- | --- | --- |"]
    out += [f"| {r['rank']} | `{r['op_name']}` | `{r['op_type']}` | {r['mse']:.6e} |" for r in rows]
    return out
