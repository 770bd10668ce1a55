#include "vlq/text/merge_table.hpp"

#include <bit>

namespace vlq::text {

MergeTable::MergeTable(size_t expected_entries) {
  // Load factor at most 1/2 keeps linear-probe chains short.
  const size_t capacity = std::bit_ceil(std::max<size_t>(16, expected_entries * 2));
  entries_.assign(capacity, Entry{});
  mask_ = capacity - 1;
  shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
}

void MergeTable::insert(int32_t left, int32_t right, MergeResult result) {
  if ((size_ + 1) * 2 > entries_.size()) grow();
  const uint64_t key = make_key(left, right);
  for (size_t slot = hash(key);; slot = (slot + 1) & mask_) {
    Entry& e = entries_[slot];
    if (e.key == key) {
      e.value = result;
      return;
    }
    if (e.key == kEmpty) {
      e = {key, result};
      ++size_;
      return;
    }
  }
}

void MergeTable::grow() {
  std::vector<Entry> old = std::move(entries_);
  const size_t capacity = old.size() * 2;
  entries_.assign(capacity, Entry{});
  mask_ = capacity - 1;
  shift_ = 64 - static_cast<unsigned>(std::countr_zero(capacity));
  size_ = 0;
  for (const Entry& e : old)
    if (e.key != kEmpty) insert(static_cast<int32_t>(e.key >> 32), static_cast<int32_t>(e.key & 0xFFFFFFFFu), e.value);
}

}  // namespace vlq::text
