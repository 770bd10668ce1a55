// Python bindings for the quant layer, as the submodule `vlq._core.quant`: the fake-quant
// primitives, qparams, weight quantization by scheme and the activation observer. They exist so
// the numerics can be checked against PyTorch itself (tests/python/test_quant_numerics.py) and
// so Python tooling can reuse vlq's exact quantizers. Every function returns a new array;
// vlq::Error surfaces as RuntimeError (nanobind's std::exception translation).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vlq/core/error.hpp"
#include "vlq/quant/fake_quant.hpp"
#include "vlq/quant/observer.hpp"
#include "vlq/quant/qparams.hpp"
#include "vlq/quant/scheme.hpp"
#include "vlq/quant/weight_quant.hpp"
#include "numpy_out.hpp"

namespace nb = nanobind;

namespace {

using vlq::python::to_numpy;

using FloatsIn = nb::ndarray<const float, nb::c_contig, nb::device::cpu>;
using Floats2D = nb::ndarray<const float, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
using FloatsOut = nb::ndarray<nb::numpy, float>;


// Runs `fn` on a copy of x (a span over the copy's elements) and returns the copy as numpy.
template <typename Array, typename Fn>
FloatsOut on_copy(const Array& x, Fn&& fn) {
  std::vector<float> values(x.data(), x.data() + x.size());
  fn(std::span<float>(values));
  std::vector<size_t> shape;
  for (size_t d = 0; d < x.ndim(); ++d) shape.push_back(x.shape(d));
  return to_numpy(std::move(values), shape);
}

std::span<const float> span_of(const Floats2D& x) { return {x.data(), x.size()}; }

vlq::quant::IntRange range_of(int64_t qmin, int64_t qmax) { return {qmin, qmax}; }

}  // namespace

void bind_quant(nb::module_& parent) {
  using namespace vlq::quant;
  nb::module_ m = parent.def_submodule("quant", "vlq quantization numerics (fake quant, observers)");

  m.def("fake_quantize_per_tensor",
        [](FloatsIn x, float scale, int64_t zero_point, int64_t qmin, int64_t qmax) {
          return on_copy(x, [&](std::span<float> v) {
            fake_quantize_per_tensor(v, scale, zero_point, qmin, qmax);
          });
        },
        nb::arg("x"), nb::arg("scale"), nb::arg("zero_point"), nb::arg("quant_min"),
        nb::arg("quant_max"),
        "torch.fake_quantize_per_tensor_affine semantics (float32 input, any shape).");

  m.def("fake_quantize_per_channel",
        [](Floats2D x, std::vector<float> scales, std::vector<int64_t> zero_points, int64_t qmin,
           int64_t qmax) {
          return on_copy(x, [&](std::span<float> v) {
            fake_quantize_per_channel(v, x.shape(0), x.shape(1), scales, zero_points, qmin, qmax);
          });
        },
        nb::arg("x"), nb::arg("scales"), nb::arg("zero_points"), nb::arg("quant_min"),
        nb::arg("quant_max"), "torch.fake_quantize_per_channel_affine with axis=0 on [rows, cols].");

  m.def("fake_quantize_per_group",
        [](Floats2D x, int64_t group_size, std::vector<float> scales,
           std::vector<int64_t> zero_points, int64_t qmin, int64_t qmax) {
          return on_copy(x, [&](std::span<float> v) {
            fake_quantize_per_group(v, x.shape(0), x.shape(1), group_size, scales, zero_points,
                                    qmin, qmax);
          });
        },
        nb::arg("x"), nb::arg("group_size"), nb::arg("scales"), nb::arg("zero_points"),
        nb::arg("quant_min"), nb::arg("quant_max"));

  m.def("round_to_fp8_e4m3",
        [](FloatsIn x) {
          return on_copy(x, [](std::span<float> v) {
            for (float& e : v) e = round_to_fp8_e4m3(e);
          });
        },
        nb::arg("x"), "clamp(x, -448, 448).to(float8_e4m3fn).float()");

  m.def("fake_quantize_fp8_per_tensor",
        [](FloatsIn x, float scale) {
          return on_copy(x, [&](std::span<float> v) { fake_quantize_fp8_per_tensor(v, scale); });
        },
        nb::arg("x"), nb::arg("scale"));

  m.def("qparams_from_minmax",
        [](float min_val, float max_val, int64_t qmin, int64_t qmax, bool symmetric) {
          QParams p = qparams_from_minmax(min_val, max_val, range_of(qmin, qmax), symmetric);
          return std::make_pair(p.scale, p.zero_point);
        },
        nb::arg("min_val"), nb::arg("max_val"), nb::arg("quant_min"), nb::arg("quant_max"),
        nb::arg("symmetric"), "(scale, zero_point) like torch.ao MinMaxObserver.calculate_qparams");

  m.def("per_group_qparams",
        [](Floats2D x, int64_t group_size, int64_t qmin, int64_t qmax, bool symmetric) {
          ChannelQParams p = per_group_qparams(span_of(x), x.shape(0), x.shape(1), group_size,
                                               range_of(qmin, qmax), symmetric);
          return std::make_pair(p.scales, p.zero_points);
        },
        nb::arg("x"), nb::arg("group_size"), nb::arg("quant_min"), nb::arg("quant_max"),
        nb::arg("symmetric"), "group_size = cols gives PerChannelMinMaxObserver(ch_axis=0)");

  m.def("fake_quantize_weight",
        [](Floats2D w, const std::string& scheme) {
          Scheme s = scheme_from_name(scheme);
          return to_numpy(fake_quantize_weight(s.weight, span_of(w), w.shape(0), w.shape(1)),
                          {w.shape(0), w.shape(1)});
        },
        nb::arg("weight"), nb::arg("scheme"), "A Linear weight [out, in] under a scheme's weight format.");

  m.def("scheme_names", &scheme_names);

  nb::class_<ActivationObserver>(m, "ActivationObserver")
      .def(nb::init<>())
      .def("observe",
           [](ActivationObserver& self, Floats2D x, std::optional<std::vector<uint8_t>> real) {
             std::vector<uint8_t> mask = real.value_or(std::vector<uint8_t>{});
             self.observe(span_of(x), x.shape(0), x.shape(1), mask);
           },
           nb::arg("x"), nb::arg("row_is_real") = nb::none())
      .def_prop_ro("count", &ActivationObserver::count)
      .def_prop_ro("min", &ActivationObserver::min)
      .def_prop_ro("max", &ActivationObserver::max)
      .def_prop_ro("hist_range", &ActivationObserver::hist_range)
      .def("histogram",
           [](const ActivationObserver& self) {
             auto h = self.histogram();
             return std::vector<double>(h.begin(), h.end());
           })
      .def("percentile_amax", &ActivationObserver::percentile_amax, nb::arg("percentile"))
      .def("kl_amax", &ActivationObserver::kl_amax, nb::arg("quant_levels"))
      .def("clip_range",
           [](const ActivationObserver& self, const std::string& method, const std::string& scheme,
              double percentile) {
             Scheme s = scheme_from_name(scheme);
             if (!s.activation) vlq::fail("clip_range: scheme '" + scheme + "' is weight-only");
             ClipRange r = self.clip_range({parse_observer_method(method), percentile}, *s.activation);
             return std::make_pair(r.lo, r.hi);
           },
           nb::arg("method"), nb::arg("scheme"), nb::arg("percentile") = 99.99,
           "(lo, hi) clipping range for the scheme's activation format");
}
