#include "vlq/text/bpe.hpp"

#include <queue>

namespace vlq::text {
namespace {
// Above this many symbols the quadratic scan loses to the heap-based merge.
constexpr size_t kShortWordSymbols = 48;
constexpr uint32_t kNoRank = UINT32_MAX;
}  // namespace

Bpe::Bpe(const std::array<int32_t, 256>& byte_ids, std::span<const Merge> merges)
    : byte_ids_(byte_ids), merges_(merges.size()), cache_(kMaxCacheEntries) {
  for (size_t rank = 0; rank < merges.size(); ++rank)
    merges_.insert(merges[rank].left, merges[rank].right, {static_cast<uint32_t>(rank), merges[rank].result});
}

void Bpe::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
  if (piece.size() > kMaxCachedPieceBytes) {
    merge_uncached(piece, out);
    return;
  }
  if (cache_.lookup(piece, out)) return;
  const size_t start = out.size();
  merge_uncached(piece, out);
  cache_.store(piece, std::span(out).subspan(start));
}

void Bpe::merge_uncached(std::string_view piece, std::vector<int32_t>& out) const {
  thread_local std::vector<int32_t> symbols;
  symbols.clear();
  for (char c : piece) symbols.push_back(byte_ids_[static_cast<unsigned char>(c)]);
  if (symbols.size() <= kShortWordSymbols)
    merge_short(symbols);
  else
    merge_long(symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
}

// Keeps the rank of every adjacent pair so each round is a scan for the minimum plus two table
// lookups for the pairs the merge created.
void Bpe::merge_short(std::vector<int32_t>& symbols) const {
  if (symbols.size() < 2) return;
  thread_local std::vector<MergeResult> pair;  // pair[k] merges symbols[k], symbols[k+1]
  pair.clear();
  auto lookup = [&](size_t k) {
    auto m = merges_.find(symbols[k], symbols[k + 1]);
    return m ? *m : MergeResult{kNoRank, -1};
  };
  for (size_t k = 0; k + 1 < symbols.size(); ++k) pair.push_back(lookup(k));
  while (true) {
    size_t best = 0;
    for (size_t k = 1; k < pair.size(); ++k)
      if (pair[k].rank < pair[best].rank) best = k;
    if (pair.empty() || pair[best].rank == kNoRank) return;
    symbols[best] = pair[best].id;
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
    pair.erase(pair.begin() + static_cast<std::ptrdiff_t>(best));
    if (best > 0) pair[best - 1] = lookup(best - 1);
    if (best < pair.size()) pair[best] = lookup(best);
  }
}

// O(n log n) merge for long pieces (e.g. a megabyte without spaces): a min-heap of candidate
// merges keyed by (rank, position) over a doubly linked list of symbols; stale entries are
// skipped when popped.
void Bpe::merge_long(std::vector<int32_t>& symbols) const {
  const size_t n = symbols.size();
  std::vector<int64_t> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int64_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int64_t>(i + 1) : -1;
  }
  struct Candidate {
    uint32_t rank;
    size_t pos;
    int32_t id;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](size_t pos) {
    if (next[pos] < 0) return;
    if (auto m = merges_.find(symbols[pos], symbols[static_cast<size_t>(next[pos])]))
      heap.push({m->rank, pos, m->id});
  };
  for (size_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Candidate top = heap.top();
    heap.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const auto right = static_cast<size_t>(next[top.pos]);
    auto m = merges_.find(symbols[top.pos], symbols[right]);
    if (!m || m->id != top.id) continue;  // the pair changed since this entry was queued
    symbols[top.pos] = top.id;
    alive[right] = false;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[static_cast<size_t>(next[right])] = static_cast<int64_t>(top.pos);
    if (prev[top.pos] >= 0) push(static_cast<size_t>(prev[top.pos]));
    push(top.pos);
  }
  size_t w = 0;
  for (size_t i = 0; i < n; ++i)
    if (alive[i]) symbols[w++] = symbols[i];
  symbols.resize(w);
}

}  // namespace vlq::text
