// Python bindings for the vision layer (filled in by the vision work).
#include <nanobind/nanobind.h>

namespace nb = nanobind;

void bind_vision(nb::module_& m) { (void)m; }
