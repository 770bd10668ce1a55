#pragma once
// JPEG → RGB through libjpeg-turbo, reproducing PIL's JpegImagePlugin + convert("RGB").
#include <cstddef>
#include <filesystem>
#include <span>

#include "vlq/vision/rgb_image.hpp"

namespace vlq::vision {

RgbImage decode_jpeg(std::span<const std::byte> encoded, const std::filesystem::path& origin);

}  // namespace vlq::vision
