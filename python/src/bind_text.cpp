// Python bindings for the text layer (filled in by the text work).
#include <nanobind/nanobind.h>

namespace nb = nanobind;

void bind_text(nb::module_& m) { (void)m; }
