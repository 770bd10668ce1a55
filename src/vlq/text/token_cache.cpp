#include "vlq/text/token_cache.hpp"

#include <array>
#include <atomic>
#include <vector>

namespace vlq::text {
namespace {

std::atomic<uint64_t> next_cache_id{1};

// A thread serves a handful of caches at once (a tokenizer has two; tests load several), so
// each thread keeps a few slots and recycles them round robin.
constexpr size_t kThreadSlots = 4;
// Direct-mapped table of key hashes offered once, for admit_repeats_only (no allocation per
// one-off key; a collision only delays an admission).
constexpr size_t kSeenEntries = 4096;

}  // namespace

struct TokenCache::ThreadSlot {
  uint64_t owner = 0;
  Map map;
  std::vector<size_t> seen;
};

TokenCache::TokenCache(size_t max_entries, bool admit_repeats_only)
    : id_(next_cache_id.fetch_add(1)), max_entries_(max_entries), admit_repeats_only_(admit_repeats_only) {}

TokenCache::ThreadSlot& TokenCache::thread_slot() const {
  thread_local std::array<ThreadSlot, kThreadSlots> slots;
  thread_local size_t next_victim = 0;
  for (ThreadSlot& slot : slots)
    if (slot.owner == id_) return slot;
  ThreadSlot& slot = slots[next_victim];
  next_victim = (next_victim + 1) % kThreadSlots;
  slot.owner = id_;
  slot.map.clear();
  slot.seen.assign(admit_repeats_only_ ? kSeenEntries : 0, 0);
  return slot;
}

bool TokenCache::lookup(std::string_view key, std::vector<int32_t>& out) const {
  Map& local = thread_slot().map;
  if (auto it = local.find(key); it != local.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
    return true;
  }
  std::vector<int32_t> ids;
  {
    std::lock_guard lock(shared_mutex_);
    auto it = shared_.find(key);
    if (it == shared_.end()) return false;
    ids = it->second;
  }
  out.insert(out.end(), ids.begin(), ids.end());
  if (local.size() >= max_entries_) local.clear();
  local.emplace(std::string(key), std::move(ids));
  return true;
}

void TokenCache::store(std::string_view key, std::span<const int32_t> ids) const {
  ThreadSlot& slot = thread_slot();
  if (admit_repeats_only_) {
    const size_t hash = StringHash{}(key);
    size_t& seen = slot.seen[hash % kSeenEntries];
    if (seen != hash) {
      seen = hash;
      return;
    }
  }
  Map& local = slot.map;
  if (local.size() >= max_entries_) local.clear();
  local.emplace(std::string(key), std::vector<int32_t>(ids.begin(), ids.end()));
  std::lock_guard lock(shared_mutex_);
  if (shared_.size() >= max_entries_) shared_.clear();
  shared_.emplace(std::string(key), std::vector<int32_t>(ids.begin(), ids.end()));
}

}  // namespace vlq::text
