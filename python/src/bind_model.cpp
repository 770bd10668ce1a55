// Python bindings for the model layer (filled in by the model work).
#include <nanobind/nanobind.h>

namespace nb = nanobind;

void bind_model(nb::module_& m) { (void)m; }
