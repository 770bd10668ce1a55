#pragma once
// (left id, right id) → (rank, merged id) for byte-level BPE. An open-addressing table with
// 64-bit keys: the pair lookup is the innermost operation of BPE, and a flat probe sequence is
// several times faster than std::unordered_map's node chasing (no Debian flat-map library is
// part of the build).
#include <cstdint>
#include <optional>
#include <vector>

namespace vlq::text {

struct MergeResult {
  uint32_t rank;
  int32_t id;
};

class MergeTable {
 public:
  explicit MergeTable(size_t expected_entries = 0);
  // A later insert of the same pair replaces the earlier one (as HF `tokenizers` does when it
  // collects merges into a map).
  void insert(int32_t left, int32_t right, MergeResult result);
  std::optional<MergeResult> find(int32_t left, int32_t right) const {
    const uint64_t key = make_key(left, right);
    for (size_t slot = hash(key);; slot = (slot + 1) & mask_) {
      const Entry& e = entries_[slot];
      if (e.key == key) return e.value;
      if (e.key == kEmpty) return std::nullopt;
    }
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are non-negative, so never a real key
  struct Entry {
    uint64_t key = kEmpty;
    MergeResult value{};
  };
  static uint64_t make_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  size_t hash(uint64_t key) const { return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_); }
  void grow();

  std::vector<Entry> entries_;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t size_ = 0;
};

}  // namespace vlq::text
