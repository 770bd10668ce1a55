// Where vlq's image preprocessing time goes, per stage, on the real COCO images (single thread):
// file read, JPEG decode (libjpeg-turbo → RGB), smart_resize, each bicubic pass alone, the full
// resize, and rescale/normalise/patchify (process_rgb on an image already at its target size, so
// the resize is skipped). The whole-pipeline ratio vs transformers is in bench_image_processor.py.
//
//   build/<dir>/bench_image_stages_bench [--benchmark_filter=Decode]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "vlq/core/file_io.hpp"
#include "vlq/vision/bicubic_resize.hpp"
#include "vlq/vision/image_decoder.hpp"
#include "vlq/vision/image_processor.hpp"
#include "vlq/vision/smart_resize.hpp"

namespace {

namespace fs = std::filesystem;
using vlq::vision::RgbImage;

fs::path data_root() {
  if (const char* env = std::getenv("VLQ_DATA_ROOT")) return env;
  // <repo>/bench/this.cpp → <repo>/../shared/data, as the Python benches and tests do.
  return fs::absolute(__FILE__).parent_path().parent_path().parent_path() / "shared" / "data";
}

struct Corpus {
  std::vector<fs::path> paths;
  std::vector<std::string> files;
  std::vector<RgbImage> decoded;
  std::vector<vlq::vision::ResizedSize> targets;
  std::vector<RgbImage> resized;
  vlq::vision::ImageProcessor processor{vlq::vision::ImageProcessorConfig{}};
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus c;
    const fs::path root = data_root();
    c.processor = vlq::vision::ImageProcessor(
        vlq::vision::ImageProcessorConfig::from_directory(root / "qwen2_5_vl_3b_instruct"));
    for (const auto& split : fs::directory_iterator(root / "coco2017_images")) {
      if (!split.is_directory()) continue;
      for (const auto& f : fs::directory_iterator(split.path())) {
        if (f.path().extension() == ".jpg") c.paths.push_back(f.path());
      }
    }
    std::sort(c.paths.begin(), c.paths.end());
    const auto& cfg = c.processor.config();
    for (const auto& p : c.paths) {
      c.files.push_back(vlq::read_file(p));
      c.decoded.push_back(vlq::vision::decode_image_file(p));
      const RgbImage& im = c.decoded.back();
      c.targets.push_back(vlq::vision::smart_resize(
          im.height, im.width, cfg.patch_size * cfg.merge_size, cfg.bounds, p));
      c.resized.push_back(
          vlq::vision::resize_bicubic(im, c.targets.back().width, c.targets.back().height));
    }
    return c;
  }();
  return c;
}

// Each iteration is one pass over all images; reported per image.
template <typename F>
void per_image(benchmark::State& state, F&& body) {
  const Corpus& c = corpus();
  for (auto _ : state) {
    for (size_t i = 0; i < c.paths.size(); ++i) body(c, i);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.paths.size()));
  // Seconds per image, printed with an SI prefix (e.g. "3.5m" = 3.5 ms).
  state.counters["s/image"] =
      benchmark::Counter(static_cast<double>(state.iterations() * c.paths.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void ReadFile(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    benchmark::DoNotOptimize(vlq::read_file(c.paths[i]));
  });
}

void DecodeJpeg(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    const std::string& f = c.files[i];
    benchmark::DoNotOptimize(
        vlq::vision::decode_image(std::as_bytes(std::span(f.data(), f.size())), c.paths[i]));
  });
}

void SmartResize(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    const auto& cfg = c.processor.config();
    benchmark::DoNotOptimize(vlq::vision::smart_resize(c.decoded[i].height, c.decoded[i].width, 28,
                                                       cfg.bounds, c.paths[i]));
  });
}

void ResizeHorizontalOnly(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    benchmark::DoNotOptimize(
        vlq::vision::resize_bicubic(c.decoded[i], c.targets[i].width, c.decoded[i].height));
  });
}

void ResizeVerticalOnly(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    benchmark::DoNotOptimize(
        vlq::vision::resize_bicubic(c.decoded[i], c.decoded[i].width, c.targets[i].height));
  });
}

void ResizeBoth(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    benchmark::DoNotOptimize(
        vlq::vision::resize_bicubic(c.decoded[i], c.targets[i].width, c.targets[i].height));
  });
}

void NormalisePatchify(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    benchmark::DoNotOptimize(c.processor.process_rgb(c.resized[i], c.paths[i]));
  });
}

// As the Python bindings run it: pixel_values into an uninitialised buffer (no zero-fill).
void NormalisePatchifyInto(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    std::unique_ptr<float[]> values;
    benchmark::DoNotOptimize(
        c.processor.process_rgb_into(c.resized[i].view(), c.paths[i], nullptr, [&](size_t count) {
          values = std::make_unique_for_overwrite<float[]>(count);
          return values.get();
        }));
    benchmark::DoNotOptimize(values.get());
  });
}

void ProcessRgb(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    benchmark::DoNotOptimize(c.processor.process_rgb(c.decoded[i], c.paths[i]));
  });
}

void ProcessFile(benchmark::State& state) {
  per_image(state, [](const Corpus& c, size_t i) {
    benchmark::DoNotOptimize(c.processor.process_file(c.paths[i]));
  });
}

BENCHMARK(ReadFile)->Unit(benchmark::kMillisecond);
BENCHMARK(DecodeJpeg)->Unit(benchmark::kMillisecond);
BENCHMARK(SmartResize)->Unit(benchmark::kMillisecond);
BENCHMARK(ResizeHorizontalOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(ResizeVerticalOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(ResizeBoth)->Unit(benchmark::kMillisecond);
BENCHMARK(NormalisePatchify)->Unit(benchmark::kMillisecond);
BENCHMARK(NormalisePatchifyInto)->Unit(benchmark::kMillisecond);
BENCHMARK(ProcessRgb)->Unit(benchmark::kMillisecond);
BENCHMARK(ProcessFile)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
