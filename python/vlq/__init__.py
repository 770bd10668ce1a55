"""vlq: calibration/eval data, C++ runtime, sensitivity analysis and PTQ for Qwen2.5-VL.

The heavy lifting is the C++ core (`vlq._core`, a nanobind module); this package is a thin
bridge: seed-compatible INC loaders and eval functions, torch/numpy conversion.
"""
from vlq import _core  # noqa: F401

__version__ = "0.1.0"
