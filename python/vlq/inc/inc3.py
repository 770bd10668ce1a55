"""INC 3.x (``neural_compressor.torch.quantization``) hooks built from vlq's loaders.

INC 3.x has no dataloader protocol for PyTorch: calibration is a user ``run_fn(model)`` that
runs batches through the prepared model, and tuning is ``autotune(model, TuningConfig, eval_fn,
run_fn=...)``, which always treats ``eval_fn``'s result as higher-is-better and accepts a trial
when ``result >= baseline * (1 - tolerable_loss)`` (relative only). So ``eval_fn`` here returns
``1/PPL`` (``metric="inv_ppl"``); a ``-NLL`` eval_fn is rejected because no trial could ever pass.

What works on this CPU-only setup (3.7.1, torch 2.13): weight-only RTN and GPTQ on the whole
Qwen2.5-VL module (they replace ``nn.Linear`` modules, no tracing). Static INT8 needs IPEX (not
installed) or a ``torch.export``-ed model (PT2E), which Qwen2.5-VL does not produce.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Optional

import torch

from vlq.inc.adapters import iterate_pinned, split_batch
from vlq.inc.eval_func import Metric, make_qwen_eval_func


def make_run_fn(calib_loader: Iterable[Any], max_batches: Optional[int] = None) -> Callable[[torch.nn.Module], None]:
    """Calibration ``run_fn(model)`` for ``prepare``/``quantize``/``autotune``.

    Runs ``model(input_ids=..., attention_mask=..., ...)`` on each batch (never the labels or
    ``prompt_text``), so observers see exactly the forward traffic of inference.
    """
    if max_batches is not None and max_batches <= 0:
        raise ValueError(f"max_batches must be positive or None, got {max_batches}")

    def run_fn(model: torch.nn.Module) -> None:
        with torch.no_grad():
            for index, batch in enumerate(iterate_pinned(calib_loader, 0)):
                if max_batches is not None and index >= max_batches:
                    break
                inputs, _ = split_batch(batch)
                model(**inputs, use_cache=False)

    return run_fn


def make_eval_fn(eval_loader: Iterable[Any], max_batches: Optional[int] = 8,
                 metric: Metric = "inv_ppl") -> Callable[[torch.nn.Module], float]:
    """``eval_fn(model) -> float`` for ``autotune``: 1/PPL over real tokens (higher is better).

    Only ``inv_ppl`` is accepted: autotune's acceptance is relative and higher-is-better.
    """
    if metric != "inv_ppl":
        raise ValueError(f"autotune is relative and higher-is-better; use metric='inv_ppl', not {metric!r}")
    return make_qwen_eval_func(None, eval_loader, max_batches, metric=metric)


def example_inputs_from(loader: Iterable[Any]) -> dict[str, torch.Tensor]:
    """The first batch's model inputs (for configs that need ``example_inputs``)."""
    for batch in iterate_pinned(loader, 0):
        return split_batch(batch)[0]
    raise ValueError("loader is empty; cannot take example inputs from it")


def rtn_config_set(bits: Iterable[int] = (4, 8), group_size: int = 32) -> list[Any]:
    """Weight-only RTN configs tried in order by ``autotune`` (fewest bits first).

    ``lm_head`` stays FP32 in every config: it is tied to the embedding in the 3B checkpoint.
    """
    from neural_compressor.torch.quantization import RTNConfig

    configs = []
    for b in bits:
        cfg = RTNConfig(bits=b, group_size=group_size)
        cfg.set_local("lm_head", RTNConfig(dtype="fp32"))
        configs.append(cfg)
    return configs


def autotune_weight_only(model: torch.nn.Module, calib_loader: Iterable[Any], eval_loader: Iterable[Any],
                         config_set: Optional[list[Any]] = None, tolerable_loss: float = 0.01,
                         max_trials: int = 4, eval_batches: Optional[int] = 8) -> Optional[torch.nn.Module]:
    """Run INC 3.x ``autotune`` over weight-only configs; returns the quantized model or None.

    None means no config met ``1/PPL_q >= (1 - tolerable_loss) / PPL_fp32`` within ``max_trials``.
    """
    from neural_compressor.torch.quantization import TuningConfig, autotune

    tune_config = TuningConfig(config_set=config_set or rtn_config_set(), tolerable_loss=tolerable_loss,
                               max_trials=max_trials)
    return autotune(model, tune_config, eval_fn=make_eval_fn(eval_loader, eval_batches),
                    run_fn=make_run_fn(calib_loader), example_inputs=example_inputs_from(calib_loader))
