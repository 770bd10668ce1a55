#pragma once
// JPEG (libjpeg-turbo) and PNG (libpng) decoding to RGB, matching what PIL's
// `Image.open(path).convert("RGB")` gives (which is what transformers' convert_rgb does):
//   * grayscale → replicated to R=G=B; CMYK/YCCK JPEG → PIL's inverted-Adobe CMYK→RGB rule;
//   * palette PNG (with or without tRNS) → palette colours, transparency ignored;
//   * gray+alpha / RGBA PNG → alpha dropped (PIL's convert("RGB") drops it; it does not
//     composite onto white — transformers' convert_rgb only calls image.convert("RGB"));
//   * 16-bit PNG → PIL's conversion (see image_decoder.cpp for the exact rule per colour type);
//   * EXIF orientation is NOT applied. transformers 4.57.6 applies exif_transpose only when it
//     opens the file itself (a path/URL string goes through image_utils.load_image); a PIL image
//     passed in — the usual `processor(images=Image.open(p))` — is used as stored. vlq matches
//     the latter (tested with an orientation-6 JPEG).
// Errors (corrupt, truncated, unsupported, > kMaxImagePixels) → vlq::Error "<file>: <what>".
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "vlq/vision/rgb_image.hpp"

namespace vlq::vision {

// PIL's Image.MAX_IMAGE_PIXELS default (1024*1024*1024 // 4 // 3); PIL raises
// DecompressionBombError above 2× this, warns above 1×; vlq refuses anything above 1×.
inline constexpr int64_t kMaxImagePixels = 89478485;

// Decodes a whole encoded file held in memory; `origin` names it in error messages.
RgbImage decode_image(std::span<const std::byte> encoded, const std::filesystem::path& origin);

// Reads and decodes a file (format sniffed from its magic bytes, not its extension).
RgbImage decode_image_file(const std::filesystem::path& path);

}  // namespace vlq::vision
