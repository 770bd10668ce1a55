#pragma once
// Which ops are quantizable candidates: every Linear of the LM and the vision tower by HF module
// name, filtered by include/exclude patterns. A pattern is a shell glob (fnmatch, e.g.
// "model.layers.*.mlp.*") unless it starts with "re:", then it is an ECMAScript regex that must
// match the whole name. lm_head is excluded unless asked for explicitly (include_lm_head), since
// it is the most damaging op to quantize and usually kept in float.
#include <string>
#include <vector>

#include "vlq/model/linear_hooks.hpp"

namespace vlq::quant {

struct OpSelector {
  std::vector<std::string> include;  // empty = everything
  std::vector<std::string> exclude;
  bool include_lm_head = false;

  bool selects(const model::LinearOp& op) const;
  // The selected ops, in the given (execution) order. A bad regex → vlq::Error.
  std::vector<model::LinearOp> select(const std::vector<model::LinearOp>& ops) const;
};

// Glob or "re:" regex match of a whole name.
bool name_matches(const std::string& pattern, const std::string& name);

}  // namespace vlq::quant
