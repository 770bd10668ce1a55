#include "vlq/vision/image_processor.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/core/json.hpp"
#include "vlq/vision/bicubic_resize.hpp"
#include "vlq/vision/image_decoder.hpp"

namespace vlq::vision {
namespace {

// transformers' defaults when preprocessor_config.json omits the keys.
constexpr double kDefaultRescaleFactor = 1.0 / 255.0;
constexpr int kPilBicubic = 3;
constexpr int64_t kChannels = 3;

int64_t positive_int(const Json& j, const char* key, int64_t fallback,
                     const std::filesystem::path& path) {
  if (!j.contains(key)) return fallback;
  const Json& v = j.at(key);
  if (!v.is_number_integer() || v.get<int64_t>() <= 0) {
    fail(path, std::string("\"") + key + "\" must be a positive integer");
  }
  return v.get<int64_t>();
}

std::array<double, 3> triple(const Json& j, const char* key, std::array<double, 3> fallback,
                             const std::filesystem::path& path) {
  if (!j.contains(key)) return fallback;
  const Json& v = j.at(key);
  if (v.is_number()) return {v.get<double>(), v.get<double>(), v.get<double>()};
  if (!v.is_array() || v.size() != 3 || !v[0].is_number() || !v[1].is_number() ||
      !v[2].is_number()) {
    fail(path, std::string("\"") + key + "\" must be a number or a list of 3 numbers");
  }
  return {v[0].get<double>(), v[1].get<double>(), v[2].get<double>()};
}

void require_flag(const Json& j, const char* key, bool expected,
                  const std::filesystem::path& path) {
  if (!j.contains(key)) return;
  if (!j.at(key).is_boolean() || j.at(key).get<bool>() != expected) {
    fail(path, std::string("\"") + key + "\" must be " + (expected ? "true" : "false") +
                   " (the only setting vlq implements)");
  }
}

// The slow processor's per-value arithmetic for one channel, tabulated for all 256 inputs:
// rescale computes float32(float64(u8) * rescale_factor), normalize then computes
// (x - float32(mean)) / float32(std) in float32 (numpy float32 ops, IEEE single, no FMA).
std::array<float, 256> normalisation_table(double rescale_factor, double mean, double std_dev) {
  std::array<float, 256> table{};
  const float mean32 = static_cast<float>(mean);
  const float std32 = static_cast<float>(std_dev);
  for (int v = 0; v < 256; ++v) {
    const float rescaled = static_cast<float>(static_cast<double>(v) * rescale_factor);
    table[v] = (rescaled - mean32) / std32;
  }
  return table;
}

}  // namespace

ImageProcessorConfig ImageProcessorConfig::from_file(const std::filesystem::path& path) {
  const Json j = read_json_file(path);
  if (!j.is_object()) fail(path, "expected a JSON object");
  ImageProcessorConfig c;
  // Qwen2VLImageProcessor.__init__ (4.57.6): a "size" dict must have both keys but is then
  // replaced by the defaults; "min_pixels"/"max_pixels" override. Mirror that exactly.
  if (j.contains("size")) {
    const Json& size = j.at("size");
    if (!size.is_object() || !size.contains("shortest_edge") || !size.contains("longest_edge")) {
      fail(path, "size must contain 'shortest_edge' and 'longest_edge' keys");
    }
  }
  c.bounds.min_pixels = positive_int(j, "min_pixels", c.bounds.min_pixels, path);
  c.bounds.max_pixels = positive_int(j, "max_pixels", c.bounds.max_pixels, path);
  c.patch_size = positive_int(j, "patch_size", c.patch_size, path);
  c.temporal_patch_size = positive_int(j, "temporal_patch_size", c.temporal_patch_size, path);
  c.merge_size = positive_int(j, "merge_size", c.merge_size, path);
  c.image_mean = triple(j, "image_mean", c.image_mean, path);
  c.image_std = triple(j, "image_std", c.image_std, path);
  for (double s : c.image_std) {
    if (!(s != 0.0)) fail(path, "\"image_std\" must be non-zero");
  }
  c.rescale_factor = kDefaultRescaleFactor;
  if (j.contains("rescale_factor")) {
    if (!j.at("rescale_factor").is_number()) fail(path, "\"rescale_factor\" must be a number");
    c.rescale_factor = j.at("rescale_factor").get<double>();
  }
  if (j.contains("resample") &&
      (!j.at("resample").is_number_integer() || j.at("resample").get<int>() != kPilBicubic)) {
    fail(path, "\"resample\" must be 3 (bicubic), the only filter vlq implements");
  }
  require_flag(j, "do_resize", true, path);
  require_flag(j, "do_rescale", true, path);
  require_flag(j, "do_normalize", true, path);
  require_flag(j, "do_convert_rgb", true, path);
  return c;
}

ImageProcessorConfig ImageProcessorConfig::from_directory(const std::filesystem::path& dir) {
  return from_file(dir / "preprocessor_config.json");
}

ImageProcessor::ImageProcessor(ImageProcessorConfig config) : config_(std::move(config)) {
  for (int64_t c = 0; c < kChannels; ++c) {
    tables_[c] =
        normalisation_table(config_.rescale_factor, config_.image_mean[c], config_.image_std[c]);
  }
}

ProcessedImage ImageProcessor::process_file(const std::filesystem::path& path,
                                            const ResizeBounds* override_bounds) const {
  return process_rgb(decode_image_file(path), path, override_bounds);
}

ProcessedImage ImageProcessor::process_bytes(std::span<const std::byte> encoded,
                                             const std::filesystem::path& origin,
                                             const ResizeBounds* override_bounds) const {
  return process_rgb(decode_image(encoded, origin), origin, override_bounds);
}

ProcessedImage ImageProcessor::process_rgb(const RgbImage& image,
                                           const std::filesystem::path& origin,
                                           const ResizeBounds* override_bounds) const {
  std::vector<float> values;
  ProcessedImage out = process(image.view(), origin, override_bounds, [&](RgbView resized) {
    append_patches(resized, geometry(), tables_, values);
  });
  out.pixel_values = std::move(values);
  return out;
}

ProcessedImage ImageProcessor::process_rgb_into(
    RgbView image, const std::filesystem::path& origin, const ResizeBounds* override_bounds,
    const std::function<float*(size_t count)>& allocate) const {
  return process(image, origin, override_bounds, [&](RgbView resized) {
    write_patches(resized, geometry(), tables_,
                  allocate(patch_values(resized.height, resized.width, geometry())));
  });
}

template <typename Emit>
ProcessedImage ImageProcessor::process(RgbView image, const std::filesystem::path& origin,
                                       const ResizeBounds* override_bounds, Emit&& emit) const {
  const ResizeBounds& bounds = override_bounds != nullptr ? *override_bounds : config_.bounds;
  if (bounds.min_pixels <= 0 || bounds.max_pixels <= 0) {
    fail(origin, "min_pixels and max_pixels must be positive");
  }
  const PatchGeometry g = geometry();
  const ResizedSize target =
      smart_resize(image.height, image.width, g.patch * g.merge, bounds, origin);
  ProcessedImage out;
  out.original_width = image.width;
  out.original_height = image.height;
  out.grid_thw = {1, target.height / g.patch, target.width / g.patch};  // one frame
  if (target.width == image.width && target.height == image.height) {
    emit(image);  // no resize: skip Pillow's copy
  } else {
    // Scratch for the resized image, not zero-filled: the resize writes every byte.
    const auto resized = std::make_unique_for_overwrite<uint8_t[]>(
        static_cast<size_t>(target.width * target.height * 3));
    resize_bicubic_into(image, target.width, target.height, resized.get());
    emit(RgbView{target.width, target.height, resized.get()});
  }
  return out;
}

int64_t ImageProcessor::num_image_tokens(const ProcessedImage& image) const {
  return image.grid_thw[0] * image.grid_thw[1] * image.grid_thw[2] /
         (config_.merge_size * config_.merge_size);
}

}  // namespace vlq::vision
