"""Seed-compatible ``make_qwen_eval_func``: a token-NLL eval_func that is safe to hand to INC.

Why not the seed's function: it scored padding (labels = input_ids, pads included), re-weighted
HF's per-batch mean by the mask sum (neither a per-token nor a per-sample average), and returned
``-NLL``. INC reads eval results as higher-is-better and by default accepts a trial when
``q > baseline * (1 - 0.01)`` (relative criterion); with a negative baseline that target lies
*above* FP32, so a quantized model that is not strictly better than FP32 by 1 % can never pass.

Here:

* only real tokens are scored: next-token NLL at positions whose label is not -100, summed over
  all batches and divided by the number of scored tokens (a true per-token mean);
* ``metric="inv_ppl"`` (the default) returns ``exp(-NLL) = 1/PPL`` - positive and higher-is-better,
  so INC's default relative criterion means "PPL may grow by at most 1/(1-t)";
* ``metric="neg_nll"`` returns the seed's ``-NLL`` sign; pair it with
  ``AccuracyCriterion(criterion="absolute", tolerable_loss=<nats>)`` (see ``inc_accuracy_criterion``);
* ``metric="nll"`` returns the mean NLL itself (lower is better; ``higher_is_better=False``).
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Optional

import torch

from vlq.inc.adapters import IGNORE_INDEX, iterate_pinned, split_batch

Metric = Literal["inv_ppl", "neg_nll", "nll"]
METRICS: tuple[str, ...] = ("inv_ppl", "neg_nll", "nll")
DEFAULT_METRIC: Metric = "inv_ppl"


def unwrap_model(model: Any) -> torch.nn.Module:
    """Return the torch module inside INC's model wrappers (``PyTorchFXModel`` etc.).

    ``fit`` hands eval_func the raw ``torch.nn.Module`` but returns a wrapper; users then call the
    eval function on what ``fit`` returned, so both must work.
    """
    if isinstance(model, torch.nn.Module):
        return model
    inner = getattr(model, "model", None)
    if type(model).__module__.startswith("neural_compressor.") and isinstance(inner, torch.nn.Module):
        return inner
    raise TypeError(f"eval_func needs a torch.nn.Module or an INC model wrapper, got {type(model).__name__}")


def _accepted_kwargs(module: torch.nn.Module) -> Optional[set[str]]:
    """Names ``module.forward`` accepts, or None when it takes ``**kwargs`` (accepts anything).

    A whole-model FX GraphModule's forward only has the traced placeholders; HF modules and
    INC's sub-graph-quantized models keep the HF signature.
    """
    params = inspect.signature(module.forward).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return {p.name for p in params}


def _logits_of(output: Any) -> torch.Tensor:
    """Extract logits from an HF ModelOutput, a dict (FX GraphModule), a tuple or a bare tensor."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, Mapping) and "logits" in output:
        return output["logits"]
    logits = getattr(output, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise TypeError(f"cannot find logits in model output of type {type(output).__name__}")


def token_nll_sum(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, int]:
    """Sum of next-token NLL over positions whose target label is not -100, and their count.

    Position t predicts label t+1 (HF causal-LM shift). Computed as ``logsumexp - logit[target]``
    in float32 on the selected rows only, so a [B, L, 151936] tensor is never log-softmaxed whole.
    """
    if logits.shape[:2] != labels.shape:
        raise ValueError(f"logits {tuple(logits.shape)} do not match labels {tuple(labels.shape)}")
    targets = labels[:, 1:]
    keep = targets != IGNORE_INDEX
    count = int(keep.sum())
    if count == 0:
        return 0.0, 0
    rows = logits[:, :-1][keep].float()
    tgt = targets[keep].to(torch.long)
    nll = torch.logsumexp(rows, dim=-1) - rows.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
    return float(nll.double().sum()), count


def score_from_nll(mean_nll: float, metric: Metric) -> float:
    """Map a mean token NLL to the scalar returned to INC for ``metric``."""
    if metric == "inv_ppl":
        return math.exp(-mean_nll)
    if metric == "neg_nll":
        return -mean_nll
    if metric == "nll":
        return mean_nll
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


def mean_token_nll(model: Any, dataloader: Iterable[Any], max_batches: Optional[int] = 8) -> float:
    """Per-token mean NLL of ``model`` over the first ``max_batches`` batches (all if None)."""
    module = unwrap_model(model)
    module.eval()
    accepted = _accepted_kwargs(module)
    first_param = next(iter(module.parameters()), None)
    device = first_param.device if first_param is not None else torch.device("cpu")
    total, count = 0.0, 0
    with torch.no_grad():
        for index, batch in enumerate(iterate_pinned(dataloader, 0)):
            if max_batches is not None and index >= max_batches:
                break
            inputs, labels = split_batch(batch)
            kwargs = {k: v.to(device) for k, v in inputs.items() if accepted is None or k in accepted}
            if accepted is None or "use_cache" in accepted:
                kwargs["use_cache"] = False
            batch_sum, batch_count = token_nll_sum(_logits_of(module(**kwargs)).cpu(), labels)
            total += batch_sum
            count += batch_count
    if count == 0:
        raise ValueError("eval dataloader yielded no scorable tokens (all labels are -100 or it is empty)")
    return total / count


def make_qwen_eval_func(
    model: Any,
    dataloader: Iterable[Any],
    max_batches: Optional[int] = 8,
    *,
    metric: Metric = DEFAULT_METRIC,
) -> Callable[[Any], float]:
    """Create ``eval_func(model) -> float`` for ``neural_compressor.quantization.fit``.

    ``model`` is kept for the seed's signature (the returned function scores whatever model it
    is called with: the FP32 HF model, INC's sub-graph-quantized module, a GraphModule or INC's
    wrapper). ``dataloader`` is a vlq loader or one of the views in ``vlq.inc.adapters``; the
    same first ``max_batches`` batches are scored on every call. See the module docstring for
    ``metric`` and the criterion to pair it with.
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")
    if max_batches is not None and max_batches <= 0:
        raise ValueError(f"max_batches must be positive or None, got {max_batches}")
    if not hasattr(dataloader, "__iter__"):
        raise TypeError(f"dataloader must be iterable, got {type(dataloader).__name__}")
    del model  # scored per call; kept only for the seed's signature

    def eval_func(current_model: Any) -> float:
        return score_from_nll(mean_token_nll(current_model, dataloader, max_batches), metric)

    eval_func.metric = metric  # type: ignore[attr-defined]
    return eval_func


def inc_accuracy_criterion(metric: Metric = DEFAULT_METRIC, tolerable_loss: Optional[float] = None) -> Any:
    """The ``AccuracyCriterion`` that is meaningful for ``metric``.

    ``inv_ppl``: relative (default 1 %: PPL may grow by a factor up to 1/0.99);
    ``neg_nll``: absolute in nats (default 0.01); ``nll``: absolute, lower is better.
    """
    from neural_compressor.config import AccuracyCriterion

    if metric == "inv_ppl":
        return AccuracyCriterion(higher_is_better=True, criterion="relative",
                                 tolerable_loss=0.01 if tolerable_loss is None else tolerable_loss)
    if metric in ("neg_nll", "nll"):
        return AccuracyCriterion(higher_is_better=(metric == "neg_nll"), criterion="absolute",
                                 tolerable_loss=0.01 if tolerable_loss is None else tolerable_loss)
    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")
