#pragma once
// PNG → RGB through libpng, reproducing PIL's PngImagePlugin + convert("RGB").
#include <cstddef>
#include <filesystem>
#include <span>

#include "vlq/vision/rgb_image.hpp"

namespace vlq::vision {

RgbImage decode_png(std::span<const std::byte> encoded, const std::filesystem::path& origin);

}  // namespace vlq::vision
