"""vlq's quantization numerics against PyTorch itself (the oracle).

Fake quant must be bit-identical to torch.fake_quantize_per_tensor_affine /
torch.fake_quantize_per_channel_affine (same formula, same rounding), FP8 must equal torch's
float8_e4m3fn conversion after clamping to ±448, and min-max qparams must equal torch.ao's
MinMaxObserver / PerChannelMinMaxObserver. Bitwise comparisons (int32 views) also check the sign
of zero. Inputs cover exact .5 ties after scaling, saturation, fp32 subnormals, zeros, -0.0,
all-equal tensors and channels with very different ranges.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
quant = pytest.importorskip("vlq._core").quant
from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver  # noqa: E402

RNG = np.random.default_rng(1234)


def bits(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.float32)).view(np.int32)


def assert_bitwise(ours, theirs):
    ours, theirs = np.asarray(ours, np.float32), np.asarray(theirs, np.float32)
    assert ours.shape == theirs.shape
    diff = np.nonzero(bits(ours).ravel() != bits(theirs).ravel())[0]
    assert diff.size == 0, f"{diff.size} mismatches, first at {diff[0]}: ours {ours.ravel()[diff[0]]!r} torch {theirs.ravel()[diff[0]]!r}"


def edge_tensor(scale, zp, qmin, qmax, n=4000):
    """Random values plus the edge cases, for a given quantizer."""
    k = RNG.integers(qmin - 20, qmax + 20, size=n).astype(np.float32)
    ties = ((k - zp) + 0.5).astype(np.float32) * np.float32(scale)  # .5 ties (exact for 2^k scales)
    rand = RNG.normal(0, scale * (qmax - qmin) / 3, size=n).astype(np.float32)
    huge = np.array([1e6, -1e6, 3e38, -3e38], np.float32) * np.float32(1.0)
    special = np.array([0.0, -0.0, 1e-40, -1e-40, 1e-45, np.float32(scale) * 0.5,
                        -np.float32(scale) * 0.5, np.float32(scale) * (qmax - zp + 0.5),
                        np.float32(scale) * (qmin - zp - 0.5)], np.float32)
    return np.concatenate([ties, rand, huge, special]).astype(np.float32)


@pytest.mark.parametrize("scale", [0.25, 1.0, 0.0078125, 0.1, 0.013, 3.7e-5])
@pytest.mark.parametrize("zp,qmin,qmax", [(0, -128, 127), (128, 0, 255), (10, 0, 255),
                                          (0, 0, 15), (7, 0, 15), (0, -127, 127)])
def test_per_tensor_equals_torch(scale, zp, qmin, qmax):
    x = edge_tensor(scale, zp, qmin, qmax)
    ours = quant.fake_quantize_per_tensor(x, scale, zp, qmin, qmax)
    theirs = torch.fake_quantize_per_tensor_affine(torch.from_numpy(x), scale, zp, qmin, qmax)
    assert_bitwise(ours, theirs.numpy())


def test_per_tensor_all_equal_tensor():
    x = np.full((7, 5), 0.3, np.float32)
    assert_bitwise(quant.fake_quantize_per_tensor(x, 0.1, 3, 0, 255),
                   torch.fake_quantize_per_tensor_affine(torch.from_numpy(x), 0.1, 3, 0, 255).numpy())


@pytest.mark.parametrize("qmin,qmax,symmetric", [(-128, 127, True), (0, 255, False), (0, 15, False)])
def test_per_channel_equals_torch(qmin, qmax, symmetric):
    rows, cols = 37, 53
    # Channels with very different ranges, plus an all-zero and an all-equal channel.
    w = (RNG.normal(size=(rows, cols)) * np.logspace(-6, 3, rows)[:, None]).astype(np.float32)
    w[3] = 0.0
    w[4] = 1.25
    w[5, :7] = [0.5, -0.5, 1e-40, -0.0, 1e30, -1e30, 2.5]
    scales, zps = quant.per_group_qparams(w, cols, qmin, qmax, symmetric)
    obs = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8 if symmetric else torch.quint8,
                                   qscheme=torch.per_channel_symmetric if symmetric else torch.per_channel_affine,
                                   quant_min=qmin, quant_max=qmax)
    obs(torch.from_numpy(w))
    t_scale, t_zp = obs.calculate_qparams()
    assert_bitwise(scales, t_scale.numpy())
    np.testing.assert_array_equal(zps, t_zp.numpy())
    ours = quant.fake_quantize_per_channel(w, scales, zps, qmin, qmax)
    theirs = torch.fake_quantize_per_channel_affine(torch.from_numpy(w), t_scale.float(),
                                                    t_zp.to(torch.int32), 0, qmin, qmax)
    assert_bitwise(ours, theirs.numpy())


@pytest.mark.parametrize("cols", [256, 200])  # 200: ragged last group of 72
def test_per_group_w4a16_equals_torch_on_reshaped_groups(cols):
    rows, g = 11, 128
    w = RNG.normal(size=(rows, cols)).astype(np.float32)
    w[0, :3] = [40.0, -0.0, 1e-41]
    ours = quant.fake_quantize_weight(w, "w4a16")
    expected = np.empty_like(w)
    for start in range(0, cols, g):
        piece = torch.from_numpy(np.ascontiguousarray(w[:, start:start + g]))
        obs = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.quint8, qscheme=torch.per_channel_affine,
                                       quant_min=0, quant_max=15)
        obs(piece)
        s, z = obs.calculate_qparams()
        expected[:, start:start + g] = torch.fake_quantize_per_channel_affine(
            piece, s.float(), z.to(torch.int32), 0, 0, 15).numpy()
    assert_bitwise(ours, expected)


@pytest.mark.parametrize("scheme", ["w8a8", "w8a16"])
def test_int8_weight_scheme_equals_torch(scheme):
    w = (RNG.normal(size=(64, 96)) * np.linspace(0.01, 5, 64)[:, None]).astype(np.float32)
    obs = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
    obs(torch.from_numpy(w))
    s, z = obs.calculate_qparams()
    theirs = torch.fake_quantize_per_channel_affine(torch.from_numpy(w), s.float(), z.to(torch.int32), 0, -128, 127)
    assert_bitwise(quant.fake_quantize_weight(w, scheme), theirs.numpy())


def all_fp8_values():
    return torch.arange(256, dtype=torch.uint8).view(torch.float8_e4m3fn).float().numpy()


def torch_fp8(x):
    return torch.clamp(torch.from_numpy(x), -448, 448).to(torch.float8_e4m3fn).float().numpy()


def test_fp8_rounding_equals_torch_including_ties_and_subnormals():
    vals = all_fp8_values()
    vals = np.unique(vals[np.isfinite(vals)])
    mids = ((vals[:-1].astype(np.float64) + vals[1:]) / 2).astype(np.float32)  # exact ties
    near = np.concatenate([np.nextafter(mids, np.float32(np.inf)), np.nextafter(mids, np.float32(-np.inf))])
    rand = (RNG.standard_normal(20000) * np.exp2(RNG.uniform(-14, 10, 20000))).astype(np.float32)
    special = np.array([0.0, -0.0, 1e-40, -1e-40, 448.0, 449.0, 464.0, 479.9, 1e6, -1e6, 3e38, -3e38,
                        2.0 ** -9, 2.0 ** -10, -2.0 ** -10, 1.5 * 2.0 ** -10], np.float32)
    x = np.concatenate([vals, mids, near, rand, special]).astype(np.float32)
    assert_bitwise(quant.round_to_fp8_e4m3(x), torch_fp8(x))


def test_fp8_scheme_weight_equals_torch_scaled_roundtrip():
    w = (RNG.normal(size=(16, 40)) * np.logspace(-3, 2, 16)[:, None]).astype(np.float32)
    w[2] = 0.0
    tw = torch.from_numpy(w)
    amax = tw.abs().amax(dim=1, keepdim=True)
    scale = torch.where(amax > 0, amax / 448.0, torch.ones_like(amax))
    theirs = (torch.clamp(tw / scale, -448, 448).to(torch.float8_e4m3fn).float() * scale).numpy()
    assert_bitwise(quant.fake_quantize_weight(w, "fp8"), theirs)
    x = RNG.normal(size=1000).astype(np.float32)
    s = np.float32(np.abs(x).max() / 448)
    assert_bitwise(quant.fake_quantize_fp8_per_tensor(x, s),
                   (torch.clamp(torch.from_numpy(x) / s, -448, 448).to(torch.float8_e4m3fn).float() * s).numpy())


@pytest.mark.parametrize("lo,hi", [(-2.0, 1.0), (0.5, 3.0), (-3.0, -1.0), (0.0, 0.0), (-1e-30, 1e-30),
                                   (-123.456, 0.001)])
@pytest.mark.parametrize("dtype,qscheme,qmin,qmax", [
    (torch.qint8, torch.per_tensor_symmetric, -128, 127),
    (torch.quint8, torch.per_tensor_affine, 0, 255),
    (torch.qint8, torch.per_tensor_affine, -128, 127)])
def test_minmax_qparams_equal_torch_observer(lo, hi, dtype, qscheme, qmin, qmax):
    obs = MinMaxObserver(dtype=dtype, qscheme=qscheme)
    obs(torch.tensor([lo, hi], dtype=torch.float32))
    s, z = obs.calculate_qparams()
    scale, zp = quant.qparams_from_minmax(lo, hi, qmin, qmax, qscheme == torch.per_tensor_symmetric)
    assert_bitwise(np.array([scale], np.float32), s.numpy())
    assert zp == int(z)


def test_observer_skips_padding_and_matches_torch_minmax():
    x = RNG.normal(size=(50, 32)).astype(np.float32)
    real = (RNG.random(50) > 0.3).astype(np.uint8)
    x[real == 0] *= 1000.0  # padding rows with huge values must not count
    obs = quant.ActivationObserver()
    obs.observe(x[:20], list(real[:20]))
    obs.observe(x[20:], list(real[20:]))
    t = MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_affine)
    t(torch.from_numpy(x[real == 1]))
    assert obs.count == int(real.sum()) * 32
    lo, hi = obs.clip_range("minmax", "w8a8")
    assert (lo, hi) == (float(t.min_val), float(t.max_val))


def test_percentile_matches_numpy_within_one_bin():
    x = RNG.standard_t(3, size=(4000, 64)).astype(np.float32)
    obs = quant.ActivationObserver()
    for chunk in np.split(x, 8):
        obs.observe(chunk)
    width = obs.hist_range / 2048
    for p in [99.0, 99.9, 99.99]:
        # The p-th percentile as an order statistic (smallest value with CDF >= p), like vlq.
        ref = np.percentile(np.abs(x), p, method="inverted_cdf")
        got = obs.percentile_amax(p)
        # Histogram resolution: vlq answers the upper edge of the bin holding that value.
        assert ref - 1e-6 <= got <= ref + width + 1e-5, (p, got, ref, width)


@pytest.mark.parametrize("scheme", ["w8a8_sym", "w8a8"])
def test_mse_clip_is_near_the_best_clip_measured_with_torch(scheme):
    x = RNG.standard_t(4, size=(1000, 64)).astype(np.float32)
    x[0, 0] = 80.0
    obs = quant.ActivationObserver()
    obs.observe(x)
    sym = scheme == "w8a8_sym"
    qmin, qmax = (-128, 127) if sym else (0, 255)
    tx = torch.from_numpy(x)

    def torch_mse(lo, hi):
        o = MinMaxObserver(dtype=torch.qint8 if sym else torch.quint8,
                           qscheme=torch.per_tensor_symmetric if sym else torch.per_tensor_affine)
        o(torch.tensor([lo, hi], dtype=torch.float32))
        s, z = o.calculate_qparams()
        y = torch.fake_quantize_per_tensor_affine(tx, float(s), int(z), qmin, qmax)
        return float(((y - tx).double() ** 2).mean())

    lo, hi = obs.clip_range("mse", scheme)
    amax = float(np.abs(x).max())
    best = min(torch_mse(max(float(x.min()), -a) if not sym else -a, a)
               for a in np.linspace(amax / 200, amax, 300))
    # vlq searches 128 clip ratios on a 2048-bin histogram (bin centres stand in for values), so
    # allow 10 % over the brute-force optimum, and never worse than min-max (no clipping).
    assert torch_mse(lo, hi) <= 1.10 * best
    assert torch_mse(lo, hi) <= torch_mse(float(x.min()) if not sym else -amax, amax)
    assert hi < amax  # the outlier at 80 is clipped


def test_kl_clip_clips_a_heavy_tail_but_not_uniform_data():
    heavy = RNG.standard_t(2, size=(5000, 32)).astype(np.float32)
    obs = quant.ActivationObserver()
    obs.observe(heavy)
    _, hi = obs.clip_range("kl", "w8a8_sym")
    assert hi < 0.5 * np.abs(heavy).max()
    uni = RNG.uniform(-1, 1, size=(5000, 32)).astype(np.float32)
    obs = quant.ActivationObserver()
    obs.observe(uni)
    _, hi = obs.clip_range("kl", "w8a8_sym")
    assert hi > 0.9


def test_bad_input_is_an_error_not_a_crash():
    with pytest.raises(RuntimeError, match="unknown scheme"):
        quant.fake_quantize_weight(np.zeros((2, 2), np.float32), "w3a3")
    with pytest.raises(RuntimeError, match="non-finite"):
        quant.ActivationObserver().observe(np.array([[np.nan, 1.0]], np.float32))
    with pytest.raises(RuntimeError):
        quant.fake_quantize_per_channel(np.zeros((3, 2), np.float32), [1.0], [0], -128, 127)
