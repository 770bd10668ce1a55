// Python bindings for the data layer: prepare calibration/eval loaders (sources, split, chat
// template, tokenization, collation — all in C++) and hand batches to Python as numpy arrays
// that own their buffers (torch.from_numpy then shares them without a copy).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <string>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/data/data_pipeline.hpp"
#include "vlq/data/dataset_file.hpp"
#include "vlq/data/loader_statistics.hpp"
#include "numpy_out.hpp"

namespace nb = nanobind;
using namespace nb::literals;
namespace data = vlq::data;

namespace {

using vlq::python::to_numpy;


nb::dict batch_to_dict(data::Batch&& b) {
  const auto B = static_cast<size_t>(b.batch_size);
  const auto L = static_cast<size_t>(b.seq_len);
  // The four int64 tensors share one [6, B, L] buffer and reach Python as views of it: each
  // ndarray export is a numpy.asarray call, and batches are small, so one export plus three
  // cheap slices beats four exports (the views are C-contiguous, torch.from_numpy shares them).
  const size_t cells = B * L;
  std::vector<int64_t> packed(6 * cells);
  std::copy(b.input_ids.begin(), b.input_ids.end(), packed.begin());
  std::copy(b.attention_mask.begin(), b.attention_mask.end(), packed.begin() + static_cast<std::ptrdiff_t>(cells));
  std::copy(b.labels.begin(), b.labels.end(), packed.begin() + static_cast<std::ptrdiff_t>(2 * cells));
  std::copy(b.position_ids.begin(), b.position_ids.end(), packed.begin() + static_cast<std::ptrdiff_t>(3 * cells));
  nb::object all = nb::cast(to_numpy(std::move(packed), {6, B, L}));
  nb::dict out;
  out["input_ids"] = all[0];
  out["attention_mask"] = all[1];
  out["labels"] = all[2];
  out["position_ids"] = all[nb::slice(3, 6)];
  const size_t images = b.image_grid_thw.size() / 3;
  if (images > 0) {
    const size_t patch_dim = 1176;  // 3 * temporal_patch 2 * patch 14²
    const size_t patches = b.pixel_values.size() / patch_dim;
    out["pixel_values"] = to_numpy(std::move(b.pixel_values), {patches, patch_dim});
    out["image_grid_thw"] = to_numpy(std::move(b.image_grid_thw), {images, 3});
  }
  out["prompt_text"] = nb::cast(b.prompt_text);
  out["sample_index"] = nb::cast(b.sample_index);
  return out;
}

nb::dict statistics_to_dict(const data::LoaderStatistics& s) {
  nb::dict d;
  d["samples"] = s.samples;
  d["batches"] = s.batches;
  d["min_length"] = s.min_length;
  d["median_length"] = s.median_length;
  d["p95_length"] = s.p95_length;
  d["max_length"] = s.max_length;
  d["real_tokens"] = s.real_tokens;
  d["padded_cells"] = s.padded_cells;
  d["padding_fraction"] = s.padding_fraction;
  d["truncated"] = s.truncated;
  d["label_tokens"] = s.label_tokens;
  d["images"] = s.images;
  return d;
}

template <typename T>
T get_or(const nb::dict& d, const char* key, T fallback) {
  if (!d.contains(key) || d[key].is_none()) return fallback;
  return nb::cast<T>(d[key]);
}

data::SourceKind parse_kind(const std::string& kind) {
  if (kind == "captions") return data::SourceKind::kCaptions;
  if (kind == "calib-db") return data::SourceKind::kCalibDb;
  if (kind == "jsonl") return data::SourceKind::kJsonl;
  if (kind == "coco-json") return data::SourceKind::kCocoJson;
  vlq::fail("source kind: expected captions|calib-db|jsonl|coco-json, got '" + kind + "'");
}

// The Python side passes one flat dict (see python/vlq/inc/loaders.py); missing keys keep the
// C++ defaults.
data::DataConfig config_from_dict(const nb::dict& d) {
  data::DataConfig c;
  c.model_dir = get_or<std::string>(d, "model_dir", "");
  c.source.kind = parse_kind(get_or<std::string>(d, "source_kind", "captions"));
  c.source.path = get_or<std::string>(d, "source_path", "");
  c.source.with_images = get_or<bool>(d, "with_images", false);
  c.source.image_root = get_or<std::string>(d, "coco_root", "");
  const std::string missing = get_or<std::string>(d, "missing_image", "error");
  if (missing != "error" && missing != "skip") vlq::fail("missing_image: expected 'error' or 'skip', got '" + missing + "'");
  c.source.missing_images = missing == "skip" ? data::MissingImagePolicy::kSkip : data::MissingImagePolicy::kError;
  if (auto eval = get_or<std::string>(d, "eval_jsonl", ""); !eval.empty()) {
    data::SourceSpec spec = c.source;
    spec.kind = data::SourceKind::kJsonl;
    spec.path = eval;
    c.eval_source = spec;
  }
  c.split.max_samples = get_or<int64_t>(d, "max_samples", c.split.max_samples);
  c.split.eval_samples = get_or<int64_t>(d, "eval_samples", c.split.eval_samples);
  c.split.eval_holdout = get_or<int64_t>(d, "eval_holdout", c.split.eval_holdout);
  c.prompt.label_mode = data::parse_label_mode(get_or<std::string>(d, "label_mode", "all"), "label_mode");
  c.prompt.caption_prompt = get_or<std::string>(d, "caption_prompt", c.prompt.caption_prompt);
  c.prompt.max_seq_len = get_or<int64_t>(d, "max_seq_len", c.prompt.max_seq_len);
  c.prompt.with_images = c.source.with_images;
  if (d.contains("min_pixels") && !d["min_pixels"].is_none()) c.prompt.min_pixels = nb::cast<int64_t>(d["min_pixels"]);
  if (d.contains("max_pixels") && !d["max_pixels"].is_none()) c.prompt.max_pixels = nb::cast<int64_t>(d["max_pixels"]);
  c.calib_order.batch_size = get_or<int64_t>(d, "batch_size", c.calib_order.batch_size);
  c.calib_order.shuffle = get_or<bool>(d, "shuffle", false);
  c.calib_order.seed = get_or<uint64_t>(d, "seed", 0);
  c.calib_order.bucket_by_length = get_or<bool>(d, "bucket_by_length", false);
  c.eval_order.batch_size = get_or<int64_t>(d, "eval_batch_size", 4);
  c.eval_order.bucket_by_length = c.calib_order.bucket_by_length;
  c.build_calib = get_or<bool>(d, "build_calib", true);
  c.build_eval = get_or<bool>(d, "build_eval", true);
  c.threads = get_or<int>(d, "threads", 0);
  return c;
}

}  // namespace

void bind_data(nb::module_& m) {
  nb::class_<data::TextAssets>(m, "DataTextAssets", "Tokenizer + chat template of a checkpoint dir, for the data layer.")
      .def_static("from_directory", &data::TextAssets::from_directory, "model_dir"_a)
      .def_prop_ro("pad_token_id", [](const data::TextAssets& a) { return a.tokenizer.pad_token_id(); });

  nb::class_<data::Loader>(m, "DataLoader", "Tokenized examples with a deterministic per-epoch batch order.")
      .def("__len__", &data::Loader::size)
      .def_prop_ro("num_batches", &data::Loader::num_batches)
      .def_prop_ro("batch_size", [](const data::Loader& l) { return l.order().batch_size; })
      .def_prop_ro("shuffle", [](const data::Loader& l) { return l.order().shuffle; })
      .def_prop_ro("seed", [](const data::Loader& l) { return l.order().seed; })
      .def_prop_ro("pad_token_id", &data::Loader::pad_token_id)
      .def("batch_plan", &data::Loader::batch_plan, "epoch"_a)
      .def("collate", [](const data::Loader& l, const std::vector<size_t>& rows) { return batch_to_dict(l.collate(rows)); },
           "rows"_a)
      .def("collate_epoch",
           [](const data::Loader& l, uint64_t epoch) {
             nb::list out;
             for (const auto& rows : l.batch_plan(epoch)) out.append(batch_to_dict(l.collate(rows)));
             return out;
           },
           "epoch"_a, "Every batch of an epoch, collated (used by the benchmark)")
      .def("example",
           [](const data::Loader& l, size_t i) {
             if (i >= l.size()) throw nb::index_error("example index out of range");
             const data::Example& e = l.examples()[i];
             nb::dict d;
             d["input_ids"] = nb::cast(e.input_ids);
             d["labels"] = nb::cast(e.labels);
             d["prompt_text"] = e.prompt_text;
             d["sample_index"] = e.sample_index;
             d["untruncated_length"] = e.untruncated_length;
             return d;
           },
           "index"_a)
      .def("statistics", [](const data::Loader& l) { return statistics_to_dict(data::compute_statistics(l)); });

  nb::class_<data::PreparedData>(m, "PreparedData", "Calibration and eval loaders from one prepare_data call.")
      .def_ro("calib", &data::PreparedData::calib)
      .def_ro("eval", &data::PreparedData::eval)
      .def_prop_ro("report", [](const data::PreparedData& p) { return p.report.to_json().dump(); })
      .def("write", [](const data::PreparedData& p, const std::filesystem::path& out) { data::write_prepared(out, p); },
           "out_dir"_a, "Write <out_dir>/calib and <out_dir>/eval datasets");

  m.def("prepare_data",
        [](const data::TextAssets& assets, const nb::dict& config) {
          const data::DataConfig c = config_from_dict(config);
          nb::gil_scoped_release release;  // tokenization runs on C++ threads
          return data::prepare_data(c, assets);
        },
        "assets"_a, "config"_a, "Read, split, tokenize and collate-ready: returns PreparedData");

  m.def("read_dataset",
        [](const std::filesystem::path& dir) {
          data::Dataset ds = data::read_dataset(dir);
          return nb::make_tuple(std::move(ds.loader), ds.manifest.dump());
        },
        "dataset_dir"_a, "Read an on-disk dataset: (DataLoader, manifest JSON text)");
}
