"""Parity of the C++ vision tower (vlq._core.VisionTower) with transformers' Qwen2.5-VL vision
tower (`model.model.visual`, transformers 4.57.6, fp32) on the three tiny random checkpoints.

Inputs are real COCO images run through the real HF image processor
(`Qwen2VLImageProcessor`, slow path) with max_pixels lowered so the test stays fast; several
images of different grids go through one call, including grids whose merged size needs window
padding and one (224×224 → merged 8×8) that is window-aligned.

Tolerance: max |Δ| ≤ 1e-4 (absolute) on the tower output. Both sides compute in fp32 with the
same weights; they differ only in summation order (OpenBLAS sgemm vs torch/MKL-DNN, per-window
attention vs SDPA, serial vs pairwise RMSNorm reduction) and libm vs torch's vectorised
exp/erf/sin/cos. Each such difference is a few fp32 ulps (~1e-7 relative) per op; over ≤ 4
blocks + merger with O(1..10) activations they accumulate to ~1e-6..1e-5, so 1e-4 leaves a
margin without hiding real bugs (a wrong window order, rotary axis or merge order gives O(0.1..1)
differences; test_images_encode_independently_and_row_order_matters checks the scale).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from PIL import Image  # noqa: E402

from vlq import _core  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DATA_ROOT = Path(os.environ.get("VLQ_DATA_ROOT", REPO.parent / "shared" / "data"))
IMAGES = DATA_ROOT / "coco2017_images"
VARIANTS = ["tiny_a", "tiny_b", "tiny_c"]
ATOL = 1e-4

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tiny_checkpoints  # noqa: E402


@pytest.fixture(scope="session")
def hf_visual(tiny_root):
    """HF vision towers in fp32 (tiny_b is bf16 on disk; dtype=float32 widens exactly)."""
    from transformers import Qwen2_5_VLForConditionalGeneration

    towers = {}
    for v in VARIANTS:
        model = Qwen2_5_VLForConditionalGeneration.from_pretrained(
            tiny_root / v, dtype=torch.float32).eval()
        towers[v] = model.model.visual
    return towers


@pytest.fixture(scope="session")
def cpp_tower(tiny_root):
    return {v: _core.VisionTower(str(tiny_root / v)) for v in VARIANTS}


def _processor(max_pixels: int):
    from transformers import Qwen2VLImageProcessor

    return Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=max_pixels)


def _images():
    names = ["val2017/000000109313.jpg", "val2017/000000181303.jpg", "val2017/000000296222.jpg",
             "train2017/000000252639.jpg"]
    paths = [IMAGES / n for n in names]
    if not all(p.exists() for p in paths):
        pytest.skip(f"COCO images not found under {IMAGES}")
    return [Image.open(p).convert("RGB") for p in paths]


@pytest.fixture(scope="session")
def batches():
    """(pixel_values float32 [N,1176], image_grid_thw int64 [n,3]) cases from the real processor."""
    imgs = _images()
    out = {}
    # Three images, merged grids 9×6, 5×10, 6×9: every one needs window padding.
    b = _processor(64 * 28 * 28)(images=imgs[:3], return_tensors="np")
    out["three_images_padded"] = (b["pixel_values"], b["image_grid_thw"])
    # 224×224 → grid 16×16, merged 8×8 (window-aligned: HF pads a whole empty window row/col),
    # followed by a larger image with merged 11×8 and a tiny one, all in one call.
    square = imgs[3].resize((224, 224), Image.BICUBIC)
    p1 = _processor(64 * 28 * 28)(images=[square], return_tensors="np")
    p2 = _processor(100 * 28 * 28)(images=[imgs[3]], return_tensors="np")
    p3 = _processor(16 * 28 * 28)(images=[imgs[0]], return_tensors="np")
    out["aligned_and_mixed"] = (
        np.concatenate([p1["pixel_values"], p2["pixel_values"], p3["pixel_values"]]),
        np.concatenate([p1["image_grid_thw"], p2["image_grid_thw"], p3["image_grid_thw"]]))
    # A single image.
    s = _processor(32 * 28 * 28)(images=[imgs[1]], return_tensors="np")
    out["single"] = (s["pixel_values"], s["image_grid_thw"])
    return out


def _as_inputs(pv, grid):
    return (np.ascontiguousarray(pv, dtype=np.float32), np.ascontiguousarray(grid, dtype=np.int64))


def test_cases_cover_padding_alignment_and_multiple_images(batches):
    grids = [g for _, (_, gs) in batches.items() for g in gs.tolist()]
    merged = [(h // 2, w // 2) for _, h, w in grids]
    assert any(h % 4 or w % 4 for h, w in merged), "no grid needing window padding"
    assert (8, 8) in merged, "no window-aligned grid"
    assert len(batches["three_images_padded"][1]) == 3
    assert len({tuple(g) for g in batches["aligned_and_mixed"][1].tolist()}) == 3


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", ["three_images_padded", "aligned_and_mixed", "single"])
def test_encode_matches_transformers(variant, case, batches, hf_visual, cpp_tower):
    pv, grid = _as_inputs(*batches[case])
    with torch.no_grad():
        ref = hf_visual[variant](torch.from_numpy(pv), grid_thw=torch.from_numpy(grid)).numpy()
    got = cpp_tower[variant].encode(pv, grid)
    assert got.shape == ref.shape == (pv.shape[0] // 4, hf_visual[variant].config.out_hidden_size)
    err = np.abs(got - ref).max()
    print(f"{variant} {case}: max|Δ| = {err:.3g}, max|ref| = {np.abs(ref).max():.3g}")
    assert err <= ATOL


@pytest.mark.parametrize("variant", ["tiny_c"])
def test_encode_multi_frame_grid_matches_transformers(variant, hf_visual, cpp_tower):
    # grid_t = 2 (a video-like input): full attention must stay per frame. Pixel values are
    # random here because the image processor only produces t = 1 for images.
    rng = np.random.default_rng(0)
    grid = np.array([[2, 10, 6], [1, 4, 4]], dtype=np.int64)
    pv = rng.standard_normal((int((grid.prod(axis=1)).sum()), 1176)).astype(np.float32)
    with torch.no_grad():
        ref = hf_visual[variant](torch.from_numpy(pv), grid_thw=torch.from_numpy(grid)).numpy()
    got = cpp_tower[variant].encode(pv, grid)
    assert np.abs(got - ref).max() <= ATOL


def test_images_encode_independently_and_row_order_matters(batches, cpp_tower):
    # Images attend only within themselves, so swapping two images only swaps their output
    # rows; and a wrong row order is far beyond ATOL, so the parity assertions discriminate.
    pv, grid = _as_inputs(*batches["three_images_padded"])
    got = cpp_tower["tiny_a"].encode(pv, grid)
    n0 = int(grid[0].prod())
    swapped = np.concatenate([pv[n0:n0 + int(grid[1].prod())], pv[:n0], pv[n0 + int(grid[1].prod()):]])
    grid_sw = grid[[1, 0, 2]].copy()
    other = cpp_tower["tiny_a"].encode(swapped, grid_sw)
    m0, m1 = n0 // 4, int(grid[1].prod()) // 4
    reordered = np.concatenate([other[m1:m1 + m0], other[:m1], other[m1 + m0:]])
    # Encoding is per image, so reordering images only reorders output rows...
    assert np.abs(reordered - got).max() <= ATOL
    # ...while a wrong row order is a large error.
    assert np.abs(other - got).max() > 100 * ATOL


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_linear_matches_hf_module_inputs_and_outputs(variant, batches, hf_visual, cpp_tower):
    """The interceptor sees every Linear with its HF module name, in HF's call order, with the
    same input/output activations as HF's forward hooks (patch embed: the Conv3d, flattened)."""
    pv, grid = _as_inputs(*batches["aligned_and_mixed"])
    visual = hf_visual[variant]
    calls = []
    handles = []
    for name, mod in visual.named_modules():
        if isinstance(mod, (torch.nn.Linear, torch.nn.Conv3d)):
            def hook(m, args, out, name=name):
                calls.append(("visual." + name, args[0].detach().reshape(args[0].shape[0], -1).clone(),
                              out.detach().reshape(out.shape[0], -1).clone()))
            handles.append(mod.register_forward_hook(hook))
    try:
        with torch.no_grad():
            visual(torch.from_numpy(pv), grid_thw=torch.from_numpy(grid))
    finally:
        for h in handles:
            h.remove()
    _, trace = cpp_tower[variant].encode_traced(pv, grid)
    assert [t["name"] for t in trace] == [c[0] for c in calls]
    ops = cpp_tower[variant].linear_ops()
    assert [o["name"] for o in ops] == [c[0] for c in calls]
    for t, (name, x_ref, y_ref) in zip(trace, calls):
        assert t["tower"] == "vision"
        assert t["input"].shape == tuple(x_ref.shape), name
        assert t["output"].shape == tuple(y_ref.shape), name
        assert np.abs(t["input"] - x_ref.numpy()).max() <= ATOL, name
        assert np.abs(t["output"] - y_ref.numpy()).max() <= ATOL, name


@pytest.mark.parametrize("grid", [
    [[1, 34, 46]], [[1, 16, 16]], [[1, 18, 12], [1, 10, 20], [1, 12, 18]],
    [[2, 10, 6], [1, 4, 4], [3, 8, 22]], [[1, 2, 2]], [[1, 40, 2]],
])
def test_window_layout_and_rotary_match_hf_helpers(grid, hf_visual):
    visual = hf_visual["tiny_a"]
    g = torch.tensor(grid, dtype=torch.int64)
    ref_index, ref_cu = visual.get_window_index(g)
    ref_cu = torch.unique_consecutive(torch.tensor(ref_cu, dtype=torch.int32))
    index, cu = _core.vision_window_layout(np.array(grid, dtype=np.int64), 2, 4)
    np.testing.assert_array_equal(index, ref_index.numpy())
    np.testing.assert_array_equal(cu, ref_cu.numpy())
    full = _core.vision_full_attention_cu_seqlens(np.array(grid, dtype=np.int64), 2)
    ref_full = torch.nn.functional.pad(
        torch.repeat_interleave(g[:, 1] * g[:, 2], g[:, 0]).cumsum(0, dtype=torch.int32), (1, 0))
    np.testing.assert_array_equal(full, ref_full.numpy())
    head_dim = visual.config.hidden_size // visual.config.num_heads
    angles = _core.vision_rotary_angles(np.array(grid, dtype=np.int64), 2, head_dim)
    # Same fp32 product pos·inv_freq; allow 1 ulp for pow() in inv_freq.
    np.testing.assert_allclose(angles, visual.rot_pos_emb(g).numpy(), rtol=2e-7, atol=0)


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_bad_inputs_are_one_line_errors(cpp_tower):
    tower = cpp_tower["tiny_a"]
    grid = np.array([[1, 4, 4]], dtype=np.int64)
    good = np.zeros((16, 1176), dtype=np.float32)
    assert tower.encode(good, grid).shape == (4, 64)
    assert _error(lambda: tower.encode(np.zeros((16, 1000), np.float32), grid)).startswith(
        "pixel_values: expected [N, 1176]")
    assert _error(lambda: tower.encode(np.zeros((15, 1176), np.float32), grid)).startswith(
        "pixel_values: 15 rows, but image_grid_thw describes 16")
    assert _error(lambda: tower.encode(np.zeros(16 * 1176, np.float32), grid)).startswith(
        "pixel_values: expected [N, 1176]")
    assert _error(lambda: tower.encode(good, np.array([[1, 4, 3]], np.int64))).startswith(
        "image_grid_thw: image 0: grid h 4 and w 3 must be divisible by spatial_merge_size 2")
    assert _error(lambda: tower.encode(good, np.array([[1, 4, 4, 1]], np.int64))).startswith(
        "image_grid_thw: expected shape [n, 3]")
    assert _error(lambda: tower.encode(good, np.array([[0, 4, 4]], np.int64))).startswith(
        "image_grid_thw: image 0: grid (0, 4, 4) must be positive")
    assert _error(lambda: _core.VisionTower("/nonexistent/ckpt")).startswith("/nonexistent/ckpt")
