// Python bindings for the data layer (filled in by the data work).
#include <nanobind/nanobind.h>

namespace nb = nanobind;

void bind_data(nb::module_& m) { (void)m; }
