#include "vlq/data/loader.hpp"

#include "vlq/data/collate.hpp"

namespace vlq::data {

Loader::Loader(std::vector<Example> examples, BatchOrderConfig order, int64_t pad_token_id)
    : examples_(std::move(examples)), order_(order), pad_token_id_(pad_token_id) {
  lengths_.reserve(examples_.size());
  for (const Example& example : examples_) lengths_.push_back(example.length());
}

int64_t Loader::num_batches() const {
  if (order_.batch_size < 1) return 0;
  return (static_cast<int64_t>(examples_.size()) + order_.batch_size - 1) / order_.batch_size;
}

std::vector<std::vector<size_t>> Loader::batch_plan(uint64_t epoch) const {
  return plan_batches(lengths_, order_, epoch);
}

Batch Loader::collate(std::span<const size_t> rows) const {
  return data::collate(examples_, rows, pad_token_id_);
}

std::vector<Batch> Loader::batches(uint64_t epoch) const {
  std::vector<Batch> out;
  for (const auto& rows : batch_plan(epoch)) out.push_back(collate(rows));
  return out;
}

}  // namespace vlq::data
