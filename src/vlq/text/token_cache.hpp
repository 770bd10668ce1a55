#pragma once
// Memo of text → token ids for BPE pieces and whole plain-text segments. Natural text repeats a
// small set of words (and the chat template repeats whole segments such as the system prompt),
// so most lookups skip BPE entirely.
//
// Two levels, so that tokenizing on several threads scales: a per-thread map read and written
// without locks, backed by one shared map under a mutex that lets short-lived worker threads
// start warm. Each cache has a process-unique id that keys its per-thread maps, so a new cache
// can never see entries of a destroyed one that happened to live at the same address.
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vlq::text {

class TokenCache {
 public:
  // With `admit_repeats_only`, a key is stored the second time it is offered, not the first:
  // whole-segment caches then keep the template's constant segments without filling up with
  // the one-off caption text between them.
  explicit TokenCache(size_t max_entries, bool admit_repeats_only = false);
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  // Appends the cached ids of `key` to `out` and returns true, or returns false on a miss.
  bool lookup(std::string_view key, std::vector<int32_t>& out) const;
  void store(std::string_view key, std::span<const int32_t> ids) const;

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>>;

 private:
  struct ThreadSlot;
  ThreadSlot& thread_slot() const;

  const uint64_t id_;
  const size_t max_entries_;
  const bool admit_repeats_only_;
  mutable std::mutex shared_mutex_;
  mutable Map shared_;
};

}  // namespace vlq::text
