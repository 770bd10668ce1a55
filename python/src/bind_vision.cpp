// Python bindings for the vision layer: image decoding, the Qwen2-VL image processor and the
// M-RoPE position ids (bound here because they are the processor's companion on the token side).
// Arrays cross as numpy; errors surface as RuntimeError carrying vlq's one-line message.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/data/mrope_positions.hpp"
#include "vlq/vision/bicubic_resize.hpp"
#include "vlq/vision/image_decoder.hpp"
#include "vlq/vision/image_processor.hpp"
#include "vlq/vision/smart_resize.hpp"
#include "numpy_out.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using vlq::python::to_numpy;


// Runs the processor with pixel_values written straight into an uninitialised buffer that numpy
// then owns (no zero-fill, no copy) → (pixel_values [N, patch_dim], image_grid_thw [1, 3]).
nb::tuple process_to_python(const vlq::vision::ImageProcessor& p, vlq::vision::RgbView image,
                            const std::filesystem::path& origin,
                            const vlq::vision::ResizeBounds* bounds) {
  std::unique_ptr<float[]> values;
  size_t count = 0;
  vlq::vision::ProcessedImage processed;
  {
    nb::gil_scoped_release release;
    processed = p.process_rgb_into(image, origin, bounds, [&](size_t n) {
      count = n;
      values = std::make_unique_for_overwrite<float[]>(n);
      return values.get();
    });
  }
  const auto patch_dim = static_cast<size_t>(p.config().patch_dim());
  float* data = values.release();  // owned by the capsule from here on
  nb::capsule deleter(data, [](void* v) noexcept { delete[] static_cast<float*>(v); });
  std::vector<int64_t> grid(processed.grid_thw.begin(), processed.grid_thw.end());
  return nb::make_tuple(
      nb::ndarray<nb::numpy, float>(data, {count / patch_dim, patch_dim}, deleter),
      to_numpy(std::move(grid), {1, 3}));
}

const vlq::vision::ResizeBounds* bounds_or_null(std::optional<int64_t> min_pixels,
                                                std::optional<int64_t> max_pixels,
                                                const vlq::vision::ImageProcessor& processor,
                                                vlq::vision::ResizeBounds& storage) {
  if (!min_pixels && !max_pixels) return nullptr;
  storage = processor.config().bounds;
  if (min_pixels) storage.min_pixels = *min_pixels;
  if (max_pixels) storage.max_pixels = *max_pixels;
  return &storage;
}

using ImageArray = nb::ndarray<const uint8_t, nb::shape<-1, -1, 3>, nb::c_contig, nb::device::cpu>;
using IdArray = nb::ndarray<const int64_t, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

}  // namespace

void bind_vision(nb::module_& m) {
  using vlq::vision::ImageProcessor;
  using vlq::vision::ImageProcessorConfig;

  m.def("decode_image_file",
        [](const std::filesystem::path& path) {
          vlq::vision::RgbImage image = vlq::vision::decode_image_file(path);
          const auto h = static_cast<size_t>(image.height), w = static_cast<size_t>(image.width);
          return to_numpy(std::move(image.pixels), {h, w, 3});
        },
        "path"_a, "Decode a JPEG/PNG file to uint8 RGB [H, W, 3] exactly as PIL's convert('RGB').");

  m.def("resize_bicubic",
        [](ImageArray rgb, int64_t width, int64_t height) {
          vlq::vision::RgbImage image;
          image.height = static_cast<int64_t>(rgb.shape(0));
          image.width = static_cast<int64_t>(rgb.shape(1));
          image.pixels.assign(rgb.data(), rgb.data() + rgb.size());
          vlq::vision::RgbImage out = vlq::vision::resize_bicubic(image, width, height);
          const auto h = static_cast<size_t>(out.height), w = static_cast<size_t>(out.width);
          return to_numpy(std::move(out.pixels), {h, w, 3});
        },
        "rgb"_a, "width"_a, "height"_a,
        "Pillow-exact bicubic resize of a uint8 RGB [H, W, 3] array.");

  m.def("smart_resize",
        [](int64_t height, int64_t width, int64_t factor, int64_t min_pixels, int64_t max_pixels) {
          const auto size = vlq::vision::smart_resize(height, width, factor,
                                                      {min_pixels, max_pixels}, "<smart_resize>");
          return nb::make_tuple(size.height, size.width);
        },
        "height"_a, "width"_a, "factor"_a = 28, "min_pixels"_a = 56 * 56,
        "max_pixels"_a = 28 * 28 * 1280, "transformers' smart_resize → (height, width).");

  nb::class_<ImageProcessor>(m, "ImageProcessor",
                             "Qwen2VLImageProcessor (slow/PIL path), bit-exact, in C++.")
      .def_static("from_directory",
                  [](const std::filesystem::path& dir) {
                    return ImageProcessor(ImageProcessorConfig::from_directory(dir));
                  },
                  "checkpoint_dir"_a)
      .def_prop_ro("min_pixels", [](const ImageProcessor& p) { return p.config().bounds.min_pixels; })
      .def_prop_ro("max_pixels", [](const ImageProcessor& p) { return p.config().bounds.max_pixels; })
      .def("process_file",
           [](const ImageProcessor& p, const std::filesystem::path& path,
              std::optional<int64_t> min_pixels, std::optional<int64_t> max_pixels) {
             vlq::vision::ResizeBounds storage;
             const auto* bounds = bounds_or_null(min_pixels, max_pixels, p, storage);
             vlq::vision::RgbImage image;
             {
               nb::gil_scoped_release release;
               image = vlq::vision::decode_image_file(path);
             }
             return process_to_python(p, image.view(), path, bounds);
           },
           "path"_a, "min_pixels"_a = nb::none(), "max_pixels"_a = nb::none(),
           "→ (pixel_values float32 [N, 1176], image_grid_thw int64 [1, 3]).")
      .def("process_bytes",
           [](const ImageProcessor& p, nb::bytes data, const std::string& origin,
              std::optional<int64_t> min_pixels, std::optional<int64_t> max_pixels) {
             vlq::vision::ResizeBounds storage;
             const auto* bounds = bounds_or_null(min_pixels, max_pixels, p, storage);
             const auto* bytes = static_cast<const std::byte*>(static_cast<const void*>(data.c_str()));
             const vlq::vision::RgbImage image =
                 vlq::vision::decode_image(std::span(bytes, data.size()), origin);
             return process_to_python(p, image.view(), origin, bounds);
           },
           "data"_a, "origin"_a = "<bytes>", "min_pixels"_a = nb::none(),
           "max_pixels"_a = nb::none())
      .def("process_array",
           [](const ImageProcessor& p, ImageArray rgb, std::optional<int64_t> min_pixels,
              std::optional<int64_t> max_pixels) {
             vlq::vision::ResizeBounds storage;
             const auto* bounds = bounds_or_null(min_pixels, max_pixels, p, storage);
             // Read in place (the call keeps the array alive), like numpy's own kernels.
             const vlq::vision::RgbView image{static_cast<int64_t>(rgb.shape(1)),
                                              static_cast<int64_t>(rgb.shape(0)), rgb.data()};
             return process_to_python(p, image, "<array>", bounds);
           },
           "rgb"_a, "min_pixels"_a = nb::none(), "max_pixels"_a = nb::none(),
           "Process an already decoded uint8 RGB [H, W, 3] array.")
      .def("num_image_tokens", [](const ImageProcessor& p, int64_t t, int64_t h, int64_t w) {
             vlq::vision::ProcessedImage image;
             image.grid_thw = {t, h, w};
             return p.num_image_tokens(image);
           },
           "t"_a, "h"_a, "w"_a);

  m.def("mrope_positions",
        [](IdArray input_ids, std::optional<IdArray> attention_mask,
           std::optional<IdArray> image_grid_thw, int64_t spatial_merge_size) {
          const auto batch = static_cast<int64_t>(input_ids.shape(0));
          const auto length = static_cast<int64_t>(input_ids.shape(1));
          std::span<const int64_t> mask, grid;
          if (attention_mask) mask = {attention_mask->data(), attention_mask->size()};
          if (image_grid_thw) {
            if (image_grid_thw->shape(1) != 3) vlq::fail("mrope positions: image_grid_thw is not [n, 3]");
            grid = {image_grid_thw->data(), image_grid_thw->size()};
          }
          vlq::data::MropePositions p = vlq::data::compute_mrope_positions(
              batch, length, {input_ids.data(), input_ids.size()}, mask, grid, spatial_merge_size);
          return nb::make_tuple(
              to_numpy(std::move(p.position_ids), {3, size_t(batch), size_t(length)}),
              to_numpy(std::move(p.rope_deltas), {size_t(batch), 1}));
        },
        "input_ids"_a, "attention_mask"_a = nb::none(), "image_grid_thw"_a = nb::none(),
        "spatial_merge_size"_a = 2,
        "HF get_rope_index (transformers 4.57.6) → (position_ids [3, B, L], rope_deltas [B, 1]).");
}
