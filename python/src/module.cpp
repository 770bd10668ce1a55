// The nanobind module `vlq._core`. Each layer binds itself in its own bind_*.cpp file.
#include <nanobind/nanobind.h>

namespace nb = nanobind;

void bind_text(nb::module_& m);
void bind_vision(nb::module_& m);
void bind_data(nb::module_& m);
void bind_model(nb::module_& m);
void bind_quant(nb::module_& m);
void bind_vision_tower(nb::module_& m);

NB_MODULE(_core, m) {
  m.doc() = "vlq C++ core";
  bind_text(m);
  bind_vision(m);
  bind_data(m);
  bind_model(m);
  bind_quant(m);
  bind_vision_tower(m);
}
