#pragma once
// A float buffer handed to numpy that comes back for reuse when numpy frees it.
//
// Why: Model.forward returns [B, L, vocab] logits — 155 MB for a batch of 4 × 64 tokens. A fresh
// allocation of that size is a fresh mmap, and first-touching it costs ~38k page faults plus
// the kernel zeroing every page: on a small model that is as long as the forward itself. A
// caller looping over batches frees each result before asking for the next, so keeping the
// last freed buffer (one, of the last size asked for) lets the next forward of the same shape
// write into pages that are already mapped. The kept buffer is returned to the OS when a
// different size is asked for, or when the owning model and every array it handed out are gone.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <span>

namespace vlq::python {

class BufferRecycler : public std::enable_shared_from_this<BufferRecycler> {
 public:
  // A numpy float32 array of `shape` whose storage comes back here when numpy frees it. `fill`
  // must write every element (the storage is uninitialised or holds an earlier result).
  template <typename Fill>
  nanobind::ndarray<nanobind::numpy, float> make_array(std::span<const size_t> shape, Fill&& fill) {
    size_t count = 1;
    for (size_t extent : shape) count *= extent;
    auto handed_out =
        std::make_unique<HandedOut>(HandedOut{take(count), count, shared_from_this()});
    fill(std::span<float>(handed_out->data.get(), count));
    float* data = handed_out->data.get();
    nanobind::capsule owner(handed_out.get(), [](void* p) noexcept {
      std::unique_ptr<HandedOut> back(static_cast<HandedOut*>(p));
      back->home->give_back(std::move(back->data), back->count);
    });
    handed_out.release();  // now owned by the capsule
    return nanobind::ndarray<nanobind::numpy, float>(data, shape.size(), shape.data(), owner);
  }

 private:
  struct HandedOut {
    std::unique_ptr<float[]> data;
    size_t count;
    std::shared_ptr<BufferRecycler> home;  // keeps the recycler alive while arrays are out
  };

  std::unique_ptr<float[]> take(size_t count) {
    {
      const std::lock_guard lock(mutex_);
      if (spare_ && spare_count_ == count) return std::move(spare_);
      spare_.reset();  // a different shape: let the old size go back to the OS
    }
    return std::make_unique_for_overwrite<float[]>(count);
  }

  void give_back(std::unique_ptr<float[]> data, size_t count) noexcept {
    const std::lock_guard lock(mutex_);
    if (spare_) return;  // one spare is enough for a loop; others are freed here
    spare_ = std::move(data);
    spare_count_ = count;
  }

  std::mutex mutex_;  // numpy may free arrays on any thread holding the GIL; forward releases it
  std::unique_ptr<float[]> spare_;
  size_t spare_count_ = 0;
};

}  // namespace vlq::python
