"""Parity of vlq's C++ Qwen2-VL image processor with transformers' Qwen2VLImageProcessor.

Oracle: transformers 4.57.6 `Qwen2VLImageProcessor` (slow/PIL path, use_fast=False) loaded from the
real checkpoint's preprocessor_config.json, fed `PIL.Image.open(path)` (so its RGB conversion is
PIL's `convert("RGB")`; no EXIF transpose is applied to PIL inputs). Inputs: the 8 real COCO JPEGs
plus images generated here with PIL (and a minimal PNG writer for 16-bit/low-bit colour types PIL
cannot write).

Tolerance: the acceptance bound is ≤ 1 uint8 level before normalisation for every value; the target
(and what is asserted for the count) is bit-identical float32 output, i.e. 0 differing values.
"""
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from transformers import Qwen2VLImageProcessor

from vlq import _core

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("VLQ_DATA_ROOT") or REPO.parent / "shared" / "data")
CKPT = DATA / "qwen2_5_vl_3b_instruct"
COCO = sorted((DATA / "coco2017_images").glob("*/*.jpg"))


@pytest.fixture(scope="module")
def hf():
    return Qwen2VLImageProcessor.from_pretrained(CKPT)


@pytest.fixture(scope="module")
def vlq_proc():
    return _core.ImageProcessor.from_directory(CKPT)


def level_difference(ours, theirs, hf):
    """Per-value difference in uint8 levels: normalised values are (v/255 - mean)/std per channel
    (column block c of each 1176-wide row), so a level is 1/(255·std_c) normalised units."""
    per_channel = ours.shape[1] // 3
    std = np.repeat(np.asarray(hf.image_std, dtype=np.float64), per_channel)
    return np.abs(ours.astype(np.float64) - theirs.astype(np.float64)) * 255.0 * std


def compare(path, hf, vlq_proc, **kwargs):
    """Returns (number of differing float32 values, max difference in uint8 levels)."""
    with Image.open(path) as im:
        expected = hf(images=im, return_tensors="np", **kwargs)
    pixels, grid = vlq_proc.process_file(str(path), **kwargs)
    np.testing.assert_array_equal(grid, expected["image_grid_thw"])
    assert pixels.dtype == np.float32 and pixels.shape == expected["pixel_values"].shape
    differing = int(np.count_nonzero(pixels != expected["pixel_values"]))
    levels = float(level_difference(pixels, expected["pixel_values"], hf).max())
    return differing, levels


def assert_exact(path, hf, vlq_proc, **kwargs):
    differing, levels = compare(path, hf, vlq_proc, **kwargs)
    print(f"{Path(path).name} {kwargs}: differing values {differing}, max level diff {levels:.3f}")
    assert levels <= 1.0 + 1e-4, "acceptance: at most one uint8 level anywhere"
    assert differing == 0, "target: bit-identical float32 pixel_values"


@pytest.mark.parametrize("path", COCO, ids=[p.name for p in COCO])
def test_coco_images_bit_identical(path, hf, vlq_proc):
    assert len(COCO) == 8
    assert_exact(path, hf, vlq_proc)


def test_array_and_bytes_entry_points_match_hf(hf, vlq_proc):
    """process_array (decoded RGB read in place) and process_bytes give HF's values bit for bit,
    including a non-contiguous array view and the no-resize case (a 56x56 image)."""
    path = COCO[1]
    with Image.open(path) as im:
        expected = hf(images=im, return_tensors="np")["pixel_values"]
        rgb = np.asarray(im.convert("RGB"))
    pixels, _ = vlq_proc.process_array(rgb)
    assert np.array_equal(pixels, expected)
    pixels, _ = vlq_proc.process_bytes(path.read_bytes(), str(path))
    assert np.array_equal(pixels, expected)
    flipped = rgb[:, ::-1]  # a strided view, not C-contiguous
    with Image.fromarray(np.ascontiguousarray(flipped)) as im:
        expected_flipped = hf(images=im, return_tensors="np")["pixel_values"]
    pixels, _ = vlq_proc.process_array(flipped)
    assert np.array_equal(pixels, expected_flipped)
    square = np.ascontiguousarray(rgb[:56, :56])
    with Image.fromarray(square) as im:
        expected_square = hf(images=im, return_tensors="np")["pixel_values"]
    pixels, grid = vlq_proc.process_array(square)
    assert grid.tolist() == [[1, 4, 4]] and np.array_equal(pixels, expected_square)


@pytest.mark.parametrize("bounds", [
    {"min_pixels": 3136, "max_pixels": 50_000},        # downscale branch (floor, clamp ≥ 28)
    {"min_pixels": 1_000_000, "max_pixels": 4_000_000},  # upscale branch (ceil)
    {"min_pixels": 3136, "max_pixels": 28 * 28 * 4},   # tiny budget
])
def test_per_call_pixel_bounds(bounds, hf, vlq_proc):
    assert_exact(COCO[0], hf, vlq_proc, **bounds)


def noise_image(width, height, mode="RGB", seed=0):
    """Smooth gradients plus noise: exercises both flat and high-frequency resampling."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)),
                     ((x + y) * 7) % 256], axis=-1).astype(np.int32)
    noisy = np.clip(base + rng.integers(-60, 61, size=base.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(noisy, "RGB").convert(mode) if mode != "RGB" else Image.fromarray(noisy, "RGB")


def png_bytes(width, height, bit_depth, colour_type, raw_rows, palette=None, trns=None):
    """Minimal PNG writer (filter 0 rows) for sample layouts PIL cannot save (16-bit RGB/RGBA/LA,
    2/4-bit gray)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", palette)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + r for r in raw_rows)))
    return out + chunk(b"IEND", b"")


def generated_images(directory: Path):
    """name → path of every generated case (written with PIL or the PNG writer above)."""
    rng = np.random.default_rng(7)
    cases = {}

    def save(name, image, **params):
        path = directory / name
        image.save(path, **params)
        cases[name] = path

    save("odd_333x517.jpg", noise_image(333, 517), quality=90)
    save("odd_517x333.png", noise_image(517, 333, seed=1))
    save("odd_1001x999.jpg", noise_image(1001, 999, seed=2), quality=75, subsampling=0)
    save("progressive_641x479.jpg", noise_image(641, 479, seed=3), progressive=True)
    save("tiny_20x20.png", noise_image(20, 20, seed=4))
    save("tiny_100x25.jpg", noise_image(100, 25, seed=5))
    save("tiny_13x9.png", noise_image(13, 9, seed=6))
    save("tiny_2x2.png", noise_image(2, 2, seed=6))
    save("aspect_1000x5.png", noise_image(1000, 5, seed=8))      # exactly 200:1 is allowed
    save("aspect_6x1199.png", noise_image(6, 1199, seed=9))      # 199.8:1
    save("aspect_5600x28.jpg", noise_image(5600, 28, seed=10))
    save("gray_L_321x245.jpg", noise_image(321, 245, "L", seed=11))
    save("gray_L_245x321.png", noise_image(245, 321, "L", seed=12))
    save("bilevel_1_97x61.png", noise_image(97, 61, "1", seed=13))
    save("cmyk_300x200.jpg", noise_image(300, 200, "CMYK", seed=14), quality=92)
    save("palette_P_211x157.png", noise_image(211, 157, seed=15).convert("P", palette=Image.ADAPTIVE, colors=200))
    p = noise_image(157, 211, seed=16).convert("P", palette=Image.ADAPTIVE, colors=64)
    save("palette_P_trns_index_157x211.png", p, transparency=5)
    p2 = noise_image(120, 90, seed=17).convert("P", palette=Image.ADAPTIVE, colors=16)
    save("palette_P_trns_bytes_120x90.png", p2, transparency=bytes(range(0, 256, 16)))
    save("palette_P4bit_120x90.png", p2, bits=4)
    la = noise_image(190, 130, "L", seed=18)
    la.putalpha(Image.fromarray(rng.integers(0, 256, (130, 190), dtype=np.uint8)))
    save("gray_alpha_LA_190x130.png", la)
    rgba = noise_image(230, 170, seed=19)
    rgba.putalpha(Image.fromarray(rng.integers(0, 256, (170, 230), dtype=np.uint8)))
    save("rgba_230x170.png", rgba)
    g16 = (rng.integers(0, 65536, (77, 93))).astype(np.uint16)
    g16[:10] = rng.integers(0, 300, (10, 93))  # values around the 255 clip of PIL's I;16 → RGB
    save("gray16_93x77.png", Image.fromarray(g16))
    save("gray_L_trns_64x48.png", noise_image(64, 48, "L", seed=20), transparency=17)
    save("rgb_trns_64x48.png", noise_image(64, 48, seed=21), transparency=(1, 2, 3))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW"; HF does not transpose PIL inputs, nor does vlq
    save("exif_orientation6_160x90.jpg", noise_image(160, 90, seed=22), exif=exif)

    def raw(name, width, height, depth, colour_type, rows, **extra):
        path = directory / name
        path.write_bytes(png_bytes(width, height, depth, colour_type, rows, **extra))
        cases[name] = path

    w, h = 71, 53
    rgb16 = rng.integers(0, 65536, (h, w, 3), dtype=np.uint16)
    raw("rgb16_71x53.png", w, h, 16, 2, [r.astype(">u2").tobytes() for r in rgb16])
    rgba16 = rng.integers(0, 65536, (h, w, 4), dtype=np.uint16)
    raw("rgba16_71x53.png", w, h, 16, 6, [r.astype(">u2").tobytes() for r in rgba16])
    la16 = rng.integers(0, 65536, (h, w, 2), dtype=np.uint16)
    raw("la16_71x53.png", w, h, 16, 4, [r.astype(">u2").tobytes() for r in la16])
    for depth in (2, 4):
        levels = rng.integers(0, 1 << depth, (h, w), dtype=np.uint8)
        per_byte = 8 // depth
        rows = []
        for r in levels:
            padded = np.concatenate([r, np.zeros((-len(r)) % per_byte, np.uint8)]).reshape(-1, per_byte)
            packed = np.zeros(len(padded), np.uint8)
            for k in range(per_byte):
                packed |= padded[:, k] << (8 - depth * (k + 1))
            rows.append(packed.tobytes())
        raw(f"gray{depth}bit_71x53.png", w, h, depth, 0, rows)
    short_palette = bytes(rng.integers(0, 256, 3 * 5, dtype=np.uint8))
    raw("palette8_short_71x53.png", w, h, 8, 3,
        [rng.integers(0, 5, w, dtype=np.uint8).tobytes() for _ in range(h)], palette=short_palette)
    return cases


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generated_images(tmp_path_factory.mktemp("vision_images"))




def test_generated_images_decode_like_pil(generated):
    """Decoding alone: vlq's RGB must equal PIL's Image.open(p).convert('RGB') byte for byte."""
    mismatched = []
    for name, path in sorted(generated.items()):
        with Image.open(path) as im:
            expected = np.asarray(im.convert("RGB"))
        ours = _core.decode_image_file(str(path))
        if ours.shape != expected.shape or not np.array_equal(ours, expected):
            mismatched.append((name, ours.shape, expected.shape,
                               int(np.count_nonzero(ours != expected)) if ours.shape == expected.shape else -1))
    assert not mismatched


def test_generated_images_process_like_hf(generated, hf, vlq_proc):
    total_differing, worst = 0, 0.0
    for name, path in sorted(generated.items()):
        differing, levels = compare(path, hf, vlq_proc)
        print(f"{name}: differing values {differing}, max level diff {levels:.3f}")
        total_differing += differing
        worst = max(worst, levels)
    print(f"generated images: {len(generated)}, total differing values {total_differing}, worst {worst:.3f} levels")
    assert worst <= 1.0 + 1e-4
    assert total_differing == 0


@pytest.mark.parametrize("size", [(1001, 5), (5, 1001), (4000, 19)])
def test_aspect_ratio_over_200_is_refused_like_hf(size, tmp_path, hf, vlq_proc):
    path = tmp_path / f"aspect_{size[0]}x{size[1]}.png"
    noise_image(*size).save(path)
    with Image.open(path) as im, pytest.raises(ValueError, match="absolute aspect ratio must be smaller than 200"):
        hf(images=im, return_tensors="np")
    with pytest.raises(RuntimeError) as info:
        vlq_proc.process_file(str(path))
    message = str(info.value)
    assert message.startswith(str(path) + ": ") and "absolute aspect ratio must be smaller than 200" in message
    assert "\n" not in message


@pytest.mark.parametrize("shape", [(1, 1), (2, 7), (5, 9), (17, 13), (480, 640), (640, 480),
                                   (359, 641), (100, 3000), (3000, 100), (28, 28)])
def test_bicubic_matches_pillow(shape):
    """The resampler alone vs PIL.Image.resize(BICUBIC) over up/down/mixed scalings."""
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    src = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    pil = Image.fromarray(src, "RGB")
    for out_w, out_h in [(56, 56), (shape[1] * 3 + 1, shape[0] * 2 + 1), (max(1, shape[1] // 3), max(1, shape[0] // 5)),
                         (shape[1], max(1, shape[0] // 2)), (shape[1] * 2, shape[0])]:
        expected = np.asarray(pil.resize((out_w, out_h), Image.BICUBIC))
        ours = _core.resize_bicubic(src, out_w, out_h)
        assert np.array_equal(ours, expected), (shape, out_w, out_h, int(np.count_nonzero(ours != expected)))


def test_smart_resize_matches_transformers():
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize
    rng = np.random.default_rng(3)
    sizes = [(480, 640), (1080, 1920), (1365, 2048), (20, 20), (25, 100), (70, 70), (42, 42), (126, 126),
             (5, 1000), (6000, 8000), (1, 1), (13, 7)] + [tuple(int(v) for v in rng.integers(1, 5000, 2)) for _ in range(300)]
    for h, w in sizes:
        if max(h, w) / min(h, w) > 200:
            continue
        for lo, hi in [(3136, 12845056), (3136, 1003520), (200_000, 400_000)]:
            assert _core.smart_resize(h, w, 28, lo, hi) == smart_resize(h, w, 28, lo, hi), (h, w, lo, hi)


def test_num_image_tokens(vlq_proc):
    assert vlq_proc.num_image_tokens(1, 34, 46) == 391
    assert vlq_proc.min_pixels == 3136 and vlq_proc.max_pixels == 12845056
