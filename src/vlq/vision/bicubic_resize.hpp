#pragma once
// Bicubic resampling bit-identical to Pillow's `Image.resize(size, Image.BICUBIC)` on an RGB
// uint8 image (libImaging/Resample.c semantics of Pillow 13.0: separable, vertical pass first when
// the height loses more than twice as many pixels as the width, else horizontal first over only
// the source rows the vertical pass needs, Keys cubic a = -0.5 widened by the downscale factor,
// 22-bit fixed-point weights, uint8 intermediate). Hand-written: no Debian library reproduces
// Pillow's exact integer arithmetic, and this is the preprocessing hot path.
#include <cstdint>

#include "vlq/vision/resample_kernels.hpp"
#include "vlq/vision/rgb_image.hpp"

namespace vlq::vision {

// Same size → a copy (Pillow returns self.copy()). Sizes must be positive.
RgbImage resize_bicubic(const RgbImage& source, int64_t out_width, int64_t out_height);

// The same into caller memory: `dst` holds out_width·out_height·3 bytes and is fully written.
void resize_bicubic_into(RgbView source, int64_t out_width, int64_t out_height, uint8_t* dst);

// Pillow's precompute_coeffs for the bicubic filter along one axis (in_size → out_size), with
// the SIMD weight pairs packed.
ResampleTaps bicubic_taps(int in_size, int out_size);

}  // namespace vlq::vision
