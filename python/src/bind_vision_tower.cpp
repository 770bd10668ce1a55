// Python bindings for the C++ vision tower (vlq::model::VisionTower) and its index helpers, so
// the parity tests can compare against transformers' Qwen2_5_VisionTransformerPretrainedModel.
// module.cpp calls bind_vision_tower(m).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/model/checkpoint.hpp"
#include "vlq/model/config.hpp"
#include "vlq/model/vision_rotary.hpp"
#include "vlq/model/vision_tower.hpp"
#include "vlq/model/vision_windows.hpp"
#include "numpy_out.hpp"

namespace nb = nanobind;

namespace {

using vlq::python::to_numpy;

using FloatIn = nb::ndarray<const float, nb::c_contig, nb::device::cpu>;
using Int64In = nb::ndarray<const int64_t, nb::c_contig, nb::device::cpu>;


std::span<const int64_t> grid_span(const Int64In& grid) {
  if (grid.ndim() != 2 || grid.shape(1) != 3) {
    throw vlq::Error("image_grid_thw: expected shape [n, 3], got " + std::to_string(grid.ndim()) +
                     "-D array");
  }
  return {grid.data(), grid.size()};
}

// Owns the checkpoint the tower points into (the tower keeps a pointer, so it lives on the heap).
struct PyVisionTower {
  PyVisionTower(const std::string& dir, bool cache_f32_weights)
      : checkpoint(std::make_unique<vlq::model::Checkpoint>(vlq::model::Checkpoint::open(dir))),
        config(vlq::model::load_config(dir)),
        tower(std::make_unique<vlq::model::VisionTower>(*checkpoint, config.vision,
                                                        cache_f32_weights)) {}

  std::unique_ptr<vlq::model::Checkpoint> checkpoint;
  vlq::model::ModelConfig config;
  std::unique_ptr<vlq::model::VisionTower> tower;

  std::span<const float> pixels(const FloatIn& pixel_values) const {
    const int64_t cols = config.vision.patch_dim();
    if (pixel_values.ndim() != 2 || static_cast<int64_t>(pixel_values.shape(1)) != cols) {
      std::string got = pixel_values.ndim() == 2 ? std::to_string(pixel_values.shape(1))
                                                 : std::to_string(pixel_values.ndim()) + "-D";
      throw vlq::Error("pixel_values: expected [N, " + std::to_string(cols) +
                       "] (in_chans·temporal_patch_size·patch_size²), got " + got +
                       (pixel_values.ndim() == 2 ? " columns" : " array"));
    }
    return {pixel_values.data(), pixel_values.size()};
  }
};

// Records each Linear's input and output as the tower runs, to compare op by op with HF hooks.
class TraceRecorder : public vlq::model::LinearInterceptor {
 public:
  struct Record {
    vlq::model::LinearOp op;
    int64_t rows = 0;
    std::vector<float> input;
    std::vector<float> output;
  };
  void before(const vlq::model::LinearOp& op, vlq::model::ActivationView in) override {
    records.push_back({op, in.rows, std::vector<float>(in.values.begin(), in.values.end()), {}});
  }
  void after(const vlq::model::LinearOp&, vlq::model::ActivationView out) override {
    records.back().output.assign(out.values.begin(), out.values.end());
  }
  std::vector<Record> records;
};

nb::dict op_dict(const vlq::model::LinearOp& op) {
  nb::dict d;
  d["name"] = op.name;
  d["kind"] = op.kind;
  d["layer"] = op.layer;
  d["in_features"] = op.in_features;
  d["out_features"] = op.out_features;
  d["has_bias"] = op.has_bias;
  d["tower"] = op.tower == vlq::model::Tower::kVision ? "vision" : "language";
  return d;
}

}  // namespace

void bind_vision_tower(nb::module_& m) {
  nb::class_<PyVisionTower>(m, "VisionTower",
                            "Qwen2.5-VL vision tower in C++ (fp32), from a checkpoint directory.")
      .def(nb::init<const std::string&, bool>(), nb::arg("checkpoint_dir"),
           nb::arg("cache_f32_weights") = true)
      .def(
          "encode",
          [](const PyVisionTower& self, const FloatIn& pixel_values, const Int64In& grid) {
            const auto px = self.pixels(pixel_values);
            const auto thw = grid_span(grid);
            std::vector<float> out;
            {
              nb::gil_scoped_release release;
              out = self.tower->encode(px, thw);
            }
            const auto cols = static_cast<size_t>(self.config.vision.out_hidden_size);
            const size_t rows = out.size() / cols;
            return to_numpy(std::move(out), {rows, cols});
          },
          nb::arg("pixel_values"), nb::arg("image_grid_thw"),
          "pixel_values [N, 1176] float32, image_grid_thw [n, 3] int64 → [N/4, out_hidden]")
      .def(
          "encode_traced",
          [](const PyVisionTower& self, const FloatIn& pixel_values, const Int64In& grid) {
            const auto px = self.pixels(pixel_values);
            const auto thw = grid_span(grid);
            TraceRecorder recorder;
            std::vector<float> out;
            {
              nb::gil_scoped_release release;
              out = self.tower->encode(px, thw, &recorder);
            }
            nb::list trace;
            for (auto& r : recorder.records) {
              nb::dict d = op_dict(r.op);
              const auto rows = static_cast<size_t>(r.rows);
              d["input"] = to_numpy(std::move(r.input), {rows, static_cast<size_t>(r.op.in_features)});
              d["output"] =
                  to_numpy(std::move(r.output), {rows, static_cast<size_t>(r.op.out_features)});
              trace.append(d);
            }
            const auto cols = static_cast<size_t>(self.config.vision.out_hidden_size);
            const size_t rows = out.size() / cols;
            return nb::make_tuple(to_numpy(std::move(out), {rows, cols}), trace);
          },
          nb::arg("pixel_values"), nb::arg("image_grid_thw"),
          "encode() plus, per Linear call in order, a dict with the op and its input/output rows")
      .def("output_rows",
           [](const PyVisionTower& self, const Int64In& grid) {
             return self.tower->output_rows(grid_span(grid));
           })
      .def("linear_ops", [](const PyVisionTower& self) {
        nb::list ops;
        for (const auto& op : self.tower->linear_ops()) ops.append(op_dict(op));
        return ops;
      });

  m.def(
      "vision_window_layout",
      [](const Int64In& grid, int64_t spatial_merge_size, int64_t window_cells) {
        const auto grids = vlq::model::parse_vision_grids(grid_span(grid), spatial_merge_size);
        auto layout = vlq::model::compute_window_layout(grids, spatial_merge_size, window_cells);
        const size_t n = layout.window_index.size();
        const size_t c = layout.cu_window_seqlens.size();
        return nb::make_tuple(to_numpy(std::move(layout.window_index), {n}),
                              to_numpy(std::move(layout.cu_window_seqlens), {c}));
      },
      nb::arg("image_grid_thw"), nb::arg("spatial_merge_size") = 2, nb::arg("window_cells") = 4,
      "(window_index int64, cu_window_seqlens int32) like HF get_window_index + unique_consecutive");
  m.def(
      "vision_full_attention_cu_seqlens",
      [](const Int64In& grid, int64_t spatial_merge_size) {
        const auto grids = vlq::model::parse_vision_grids(grid_span(grid), spatial_merge_size);
        auto cu = vlq::model::full_attention_cu_seqlens(grids);
        const size_t n = cu.size();
        return to_numpy(std::move(cu), {n});
      },
      nb::arg("image_grid_thw"), nb::arg("spatial_merge_size") = 2);
  m.def(
      "vision_rotary_angles",
      [](const Int64In& grid, int64_t spatial_merge_size, int64_t head_dim) {
        const auto grids = vlq::model::parse_vision_grids(grid_span(grid), spatial_merge_size);
        auto angles = vlq::model::vision_rotary_angles(grids, spatial_merge_size, head_dim);
        const auto cols = static_cast<size_t>(head_dim / 2);
        const size_t rows = angles.size() / cols;
        return to_numpy(std::move(angles), {rows, cols});
      },
      nb::arg("image_grid_thw"), nb::arg("spatial_merge_size"), nb::arg("head_dim"),
      "[N, head_dim/2] rotary angles in processor patch order (HF rot_pos_emb)");
}
