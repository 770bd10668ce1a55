// Python bindings for the model layer: load a checkpoint directory, run the fp32 forward on numpy
// arrays (logits or per-token NLL), list the quantizable Linear ops. Arrays are taken as
// C-contiguous int64/float32 (numpy's defaults for ids and pixels) and not copied; the GIL is
// released while the model runs. Errors surface as RuntimeError with vlq's one-line message.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/model/qwen2_5_vl.hpp"
#include "buffer_recycler.hpp"
#include "numpy_out.hpp"

namespace nb = nanobind;
using namespace nb::literals;
using vlq::model::ModelInputs;
using vlq::model::Qwen25VL;

namespace {

using vlq::python::to_numpy;

using Ids2D = nb::ndarray<const int64_t, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
using Ids3D = nb::ndarray<const int64_t, nb::ndim<3>, nb::c_contig, nb::device::cpu>;
using Floats2D = nb::ndarray<const float, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

template <typename T, typename A>
std::span<const T> view(const A& a) {
  return {a.data(), a.size()};
}


struct InputArrays {
  Ids2D input_ids;
  std::optional<Ids2D> attention_mask;
  std::optional<Ids3D> position_ids;
  std::optional<Floats2D> pixel_values;
  std::optional<Ids2D> image_grid_thw;
  std::optional<Floats2D> image_features;

  ModelInputs inputs() const {
    ModelInputs in;
    in.batch_size = static_cast<int64_t>(input_ids.shape(0));
    in.seq_len = static_cast<int64_t>(input_ids.shape(1));
    in.input_ids = view<int64_t>(input_ids);
    if (attention_mask) {
      if (attention_mask->shape(0) != input_ids.shape(0) || attention_mask->shape(1) != input_ids.shape(1))
        vlq::fail("attention_mask: shape differs from input_ids");
      in.attention_mask = view<int64_t>(*attention_mask);
    }
    if (position_ids) {
      if (position_ids->shape(0) != 3 || position_ids->shape(1) != input_ids.shape(0) ||
          position_ids->shape(2) != input_ids.shape(1))
        vlq::fail("position_ids: expected shape [3, B, L]");
      in.position_ids = view<int64_t>(*position_ids);
    }
    if (pixel_values) in.pixel_values = view<float>(*pixel_values);
    if (image_grid_thw) {
      if (image_grid_thw->shape(1) != 3) vlq::fail("image_grid_thw: expected shape [n, 3]");
      in.image_grid_thw = view<int64_t>(*image_grid_thw);
    }
    if (image_features) in.image_features = view<float>(*image_features);
    return in;
  }
};

// The model as Python holds it: with the recycler its forward's logits come back to.
struct LoadedModel {
  Qwen25VL model;
  std::shared_ptr<vlq::python::BufferRecycler> logits = std::make_shared<vlq::python::BufferRecycler>();
};

nb::dict op_dict(const vlq::model::LinearOp& op) {
  nb::dict d;
  d["name"] = op.name;
  d["tower"] = op.tower == vlq::model::Tower::kLanguage ? "language" : "vision";
  d["layer"] = op.layer;
  d["kind"] = op.kind;
  d["in_features"] = op.in_features;
  d["out_features"] = op.out_features;
  d["has_bias"] = op.has_bias;
  return d;
}

}  // namespace

void bind_model(nb::module_& m) {
  nb::class_<LoadedModel>(m, "Model",
                       "Qwen2.5-VL in fp32 over a memory-mapped safetensors checkpoint directory.")
      .def(nb::new_([](const std::filesystem::path& dir, int threads, bool cache_f32_weights) {
             vlq::model::LoadOptions options;
             options.threads = threads;
             options.cache_f32_weights = cache_f32_weights;
             return std::make_unique<LoadedModel>(LoadedModel{Qwen25VL::load(dir, options)});
           }),
           "model_dir"_a, "threads"_a = 0, "cache_f32_weights"_a = false)
      .def(
          "forward",
          [](const LoadedModel& loaded, Ids2D input_ids, std::optional<Ids2D> attention_mask,
             std::optional<Ids3D> position_ids, std::optional<Floats2D> pixel_values,
             std::optional<Ids2D> image_grid_thw, std::optional<Floats2D> image_features) {
            InputArrays arrays{input_ids, attention_mask, position_ids, pixel_values, image_grid_thw, image_features};
            const ModelInputs in = arrays.inputs();
            const size_t shape[3] = {size_t(in.batch_size), size_t(in.seq_len),
                                     size_t(loaded.model.config().text.vocab_size)};
            // Never zero-filled (the model writes every logit) and, in a loop, the previous
            // result's pages reused: see buffer_recycler.hpp.
            return loaded.logits->make_array(shape, [&](std::span<float> logits) {
              nb::gil_scoped_release release;
              loaded.model.forward_into(in, logits);
            });
          },
          "input_ids"_a, "attention_mask"_a = nb::none(), "position_ids"_a = nb::none(),
          "pixel_values"_a = nb::none(), "image_grid_thw"_a = nb::none(),
          "image_features"_a = nb::none(), "Logits [B, L, vocab] float32.")
      .def(
          "token_nll",
          [](const LoadedModel& loaded, Ids2D input_ids, Ids2D labels, std::optional<Ids2D> attention_mask,
             std::optional<Ids3D> position_ids, std::optional<Floats2D> pixel_values,
             std::optional<Ids2D> image_grid_thw, std::optional<Floats2D> image_features) {
            InputArrays arrays{input_ids, attention_mask, position_ids, pixel_values, image_grid_thw, image_features};
            const ModelInputs in = arrays.inputs();
            if (labels.shape(0) != input_ids.shape(0) || labels.shape(1) != input_ids.shape(1))
              vlq::fail("labels: shape differs from input_ids");
            vlq::model::TokenLoss loss;
            {
              nb::gil_scoped_release release;
              loss = loaded.model.token_loss(in, view<int64_t>(labels));
            }
            const std::vector<size_t> shape{size_t(in.batch_size), size_t(in.seq_len)};
            std::vector<uint8_t> scored = std::move(loss.scored);
            return nb::make_tuple(to_numpy(std::move(loss.nll), shape), to_numpy(std::move(scored), shape));
          },
          "input_ids"_a, "labels"_a, "attention_mask"_a = nb::none(), "position_ids"_a = nb::none(),
          "pixel_values"_a = nb::none(), "image_grid_thw"_a = nb::none(),
          "image_features"_a = nb::none(),
          "(nll [B, L] float64, scored [B, L] uint8): at t, -log p(labels[t+1]); HF's shift.")
      .def("linear_ops",
           [](const LoadedModel& loaded) {
             nb::list out;
             for (const auto& op : loaded.model.linear_ops()) out.append(op_dict(op));
             return out;
           })
      .def_prop_ro("vocab_size", [](const LoadedModel& m) { return m.model.config().text.vocab_size; })
      .def_prop_ro("hidden_size", [](const LoadedModel& m) { return m.model.config().text.hidden_size; })
      .def_prop_ro("num_layers", [](const LoadedModel& m) { return m.model.config().text.num_hidden_layers; });
}
