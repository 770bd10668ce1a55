#pragma once
// A Loader owns tokenized examples and hands out collated batches in a per-epoch order. It is
// what the C++ engine, eval, the Python bridge and the on-disk dataset all consume:
//
//   for (const auto& rows : loader.batch_plan(epoch)) { Batch b = loader.collate(rows); ... }
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "vlq/data/batch.hpp"
#include "vlq/data/batch_order.hpp"
#include "vlq/data/example.hpp"

namespace vlq::data {

class Loader {
 public:
  Loader() = default;
  Loader(std::vector<Example> examples, BatchOrderConfig order, int64_t pad_token_id);

  size_t size() const { return examples_.size(); }
  int64_t num_batches() const;
  std::span<const Example> examples() const { return examples_; }
  const BatchOrderConfig& order() const { return order_; }
  int64_t pad_token_id() const { return pad_token_id_; }

  std::vector<std::vector<size_t>> batch_plan(uint64_t epoch) const;
  Batch collate(std::span<const size_t> rows) const;
  // Convenience: every batch of `epoch`, collated.
  std::vector<Batch> batches(uint64_t epoch) const;

 private:
  std::vector<Example> examples_;
  std::vector<int64_t> lengths_;
  BatchOrderConfig order_;
  int64_t pad_token_id_ = 0;
};

}  // namespace vlq::data
