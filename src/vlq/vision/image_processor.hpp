#pragma once
// The Qwen2-VL image processor (transformers `Qwen2VLImageProcessor`, slow/PIL path), exact to
// HF: decode → RGB → smart_resize → PIL-exact bicubic resize (uint8) → rescale 1/255 → CLIP
// normalize → duplicate to temporal_patch_size frames → flatten patches in HF's order.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <vector>

#include "vlq/vision/patchify.hpp"
#include "vlq/vision/rgb_image.hpp"
#include "vlq/vision/smart_resize.hpp"

namespace vlq::vision {

struct ImageProcessorConfig {
  ResizeBounds bounds;  // min_pixels / max_pixels
  int64_t patch_size = 14;
  int64_t temporal_patch_size = 2;
  int64_t merge_size = 2;
  std::array<double, 3> image_mean{0.48145466, 0.4578275, 0.40821073};
  std::array<double, 3> image_std{0.26862954, 0.26130258, 0.27577711};
  double rescale_factor = 1.0 / 255.0;

  // Reads preprocessor_config.json (keys as HF writes them; a "size" dict with
  // shortest_edge/longest_edge is honoured like HF). Bad file → vlq::Error naming it.
  static ImageProcessorConfig from_file(const std::filesystem::path& preprocessor_config_json);
  // Convenience: <checkpoint_dir>/preprocessor_config.json.
  static ImageProcessorConfig from_directory(const std::filesystem::path& checkpoint_dir);

  // Values per flattened patch row: channels(3) * temporal_patch_size * patch_size² (= 1176).
  int64_t patch_dim() const { return 3 * temporal_patch_size * patch_size * patch_size; }
};

struct ProcessedImage {
  std::vector<float> pixel_values;    // [grid_t*grid_h*grid_w, patch_dim()] row-major
  std::array<int64_t, 3> grid_thw{};  // image_grid_thw row: (t, h, w) in patches
  int64_t original_width = 0;
  int64_t original_height = 0;
};

class ImageProcessor {
 public:
  explicit ImageProcessor(ImageProcessorConfig config);

  const ImageProcessorConfig& config() const { return config_; }

  // `override_bounds` replaces min/max pixels for this call only (HF's per-call min_pixels /
  // max_pixels kwargs). Errors → vlq::Error "<file>: <what>".
  ProcessedImage process_file(const std::filesystem::path& path,
                              const ResizeBounds* override_bounds = nullptr) const;
  ProcessedImage process_bytes(std::span<const std::byte> encoded,
                               const std::filesystem::path& origin,
                               const ResizeBounds* override_bounds = nullptr) const;
  ProcessedImage process_rgb(const RgbImage& image, const std::filesystem::path& origin,
                             const ResizeBounds* override_bounds = nullptr) const;

  // process_rgb writing pixel_values into caller-owned memory: `allocate(count)` is called once
  // and must return `count` writable floats (e.g. an uninitialised numpy buffer, which spares
  // the zero-fill a std::vector needs). The returned pixel_values is left empty.
  ProcessedImage process_rgb_into(RgbView image, const std::filesystem::path& origin,
                                  const ResizeBounds* override_bounds,
                                  const std::function<float*(size_t count)>& allocate) const;

  // Image placeholder tokens the LLM sees for this image: t*h*w / merge_size².
  int64_t num_image_tokens(const ProcessedImage& image) const;

 private:
  PatchGeometry geometry() const {
    return {config_.patch_size, config_.temporal_patch_size, config_.merge_size};
  }
  // The shared front: bounds check, smart_resize, resize; `emit(resized)` writes the values.
  template <typename Emit>
  ProcessedImage process(RgbView image, const std::filesystem::path& origin,
                         const ResizeBounds* override_bounds, Emit&& emit) const;

  ImageProcessorConfig config_;
  // Per channel: normalised float for each uint8 level (exactly the slow processor's arithmetic).
  NormalisationTables tables_{};
};

}  // namespace vlq::vision
