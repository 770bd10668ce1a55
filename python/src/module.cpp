// The nanobind module `vlq._core`. Each area binds itself in its own bind_*.cpp file.
#include <nanobind/nanobind.h>

namespace nb = nanobind;

NB_MODULE(_core, m) {
  m.doc() = "vlq C++ core";
}
