#include "vlq/quant/op_selection.hpp"

#include <fnmatch.h>

#include <regex>

#include "vlq/core/error.hpp"

namespace vlq::quant {

bool name_matches(const std::string& pattern, const std::string& name) {
  if (pattern.rfind("re:", 0) == 0) {
    try {
      return std::regex_match(name, std::regex(pattern.substr(3)));
    } catch (const std::regex_error& e) {
      fail("op pattern '" + pattern + "': invalid regex: " + e.what());
    }
  }
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

bool OpSelector::selects(const model::LinearOp& op) const {
  if (op.kind == "lm_head" || op.name == "lm_head") {
    if (!include_lm_head) return false;
  }
  bool in = include.empty();
  for (const auto& p : include) in = in || name_matches(p, op.name);
  if (!in) return false;
  for (const auto& p : exclude)
    if (name_matches(p, op.name)) return false;
  return true;
}

std::vector<model::LinearOp> OpSelector::select(const std::vector<model::LinearOp>& ops) const {
  std::vector<model::LinearOp> out;
  for (const auto& op : ops)
    if (selects(op)) out.push_back(op);
  return out;
}

}  // namespace vlq::quant
