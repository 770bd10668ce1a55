#pragma once
// Byte-level BPE over token ids: a piece's bytes start as the 256 byte tokens and the adjacent
// pair with the lowest merge rank (leftmost on ties) is merged until no pair has a rank, which
// is the procedure of HF `tokenizers`' BPE model.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vlq/text/merge_table.hpp"
#include "vlq/text/token_cache.hpp"

namespace vlq::text {

struct Merge {
  int32_t left;
  int32_t right;
  int32_t result;
};

class Bpe {
 public:
  // `byte_ids[b]` is the id of the single-byte token for byte b; `merges` are in rank order.
  Bpe(const std::array<int32_t, 256>& byte_ids, std::span<const Merge> merges);
  Bpe(const Bpe&) = delete;
  Bpe& operator=(const Bpe&) = delete;

  // Appends the ids of one pre-tokenized piece (raw UTF-8 bytes). Thread-safe.
  void encode_piece(std::string_view piece, std::vector<int32_t>& out) const;

  // BPE without the word cache (exposed for tests and the cache-miss path).
  void merge_uncached(std::string_view piece, std::vector<int32_t>& out) const;

 private:
  void merge_short(std::vector<int32_t>& symbols) const;
  void merge_long(std::vector<int32_t>& symbols) const;

  std::array<int32_t, 256> byte_ids_;
  MergeTable merges_;

  static constexpr size_t kMaxCachedPieceBytes = 64;
  static constexpr size_t kMaxCacheEntries = 1 << 18;
  TokenCache cache_;  // piece → ids
};

}  // namespace vlq::text
