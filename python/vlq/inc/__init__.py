"""Seed-compatible INC bridge.

The seed project's driver imports these four names; they keep the seed's signatures and
defaults (plus new keyword options):

    from vlq.inc import (QwenCalibConfig, build_qwen_calib_dataloader,
                         build_qwen_eval_dataloader, make_qwen_eval_func)
"""
from vlq.inc.loaders import (  # noqa: F401
    QwenCalibConfig,
    build_qwen_calib_dataloader,
    build_qwen_eval_dataloader,
)

try:  # eval_func lands with the INC bridge work
    from vlq.inc.eval_func import make_qwen_eval_func  # noqa: F401
except ImportError:  # pragma: no cover
    pass
