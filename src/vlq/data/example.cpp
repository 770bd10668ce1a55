#include "vlq/data/example.hpp"

#include <algorithm>

#include "vlq/data/batch.hpp"

namespace vlq::data {

int64_t Example::label_count() const {
  return std::count_if(labels.begin(), labels.end(), [](int32_t l) { return l != kIgnoreLabel; });
}

}  // namespace vlq::data
