#pragma once
// Hands a std::vector to numpy without copying: a capsule owns the vector and frees it with the
// array. Shared by every binding file (nanobind's ownership hand-off needs a plain pointer, so
// the release into the capsule is the one place the heap object changes hands).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

namespace vlq::python {

template <typename T>
nanobind::ndarray<nanobind::numpy, T> to_numpy(std::vector<T>&& values, std::span<const size_t> shape) {
  auto owned = std::make_unique<std::vector<T>>(std::move(values));
  T* data = owned->data();
  nanobind::capsule owner(owned.get(), [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  owned.release();  // now owned by the capsule
  return nanobind::ndarray<nanobind::numpy, T>(data, shape.size(), shape.data(), owner);
}

template <typename T>
nanobind::ndarray<nanobind::numpy, T> to_numpy(std::vector<T>&& values, std::initializer_list<size_t> shape) {
  return to_numpy(std::move(values), std::span<const size_t>(shape.begin(), shape.size()));
}

template <typename T>
nanobind::ndarray<nanobind::numpy, T> to_numpy(std::vector<T>&& values, const std::vector<size_t>& shape) {
  return to_numpy(std::move(values), std::span<const size_t>(shape));
}

}  // namespace vlq::python
