#include "vlq/quant/tuner.hpp"

#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/quant/interceptors.hpp"

namespace vlq::quant {

double accuracy_target(double baseline, double tolerance, bool relative) {
  if (!(tolerance >= 0.0)) fail("--tolerance: must be >= 0");
  return relative ? baseline - tolerance * std::fabs(baseline) : baseline - tolerance;
}

Json TuneResult::to_json() const {
  Json trials_json = Json::array();
  for (const auto& t : trials)
    trials_json.push_back({{"fallback_count", t.fallback_count}, {"eval", t.eval}, {"meets", t.meets}, {"what", t.what}});
  return {{"baseline", baseline}, {"target", target}, {"fallback_count", fallback_count},
          {"final_eval", final_eval}, {"quantized_ops", plan.quantized_count()},
          {"evaluations", evaluations()}, {"trials", trials_json}};
}

TuneResult tune(QuantSubject& subject, QuantContext& context,
                const std::vector<std::string>& selected, const std::vector<std::string>& ranked,
                const TuneOptions& options, JsonlLog* log) {
  // Fallback order: the ranking restricted to selected ops, then the unranked ones.
  std::set<std::string> sel(selected.begin(), selected.end()), placed;
  std::vector<std::string> order;
  for (const auto& op : ranked)
    if (sel.count(op) && placed.insert(op).second) order.push_back(op);
  for (const auto& op : selected)
    if (placed.insert(op).second) order.push_back(op);
  const size_t n = order.size();

  auto plan_with = [&](size_t k) {
    QuantPlan p;
    for (size_t i = 0; i < n; ++i) p.set(order[i], i < k ? std::string(kFloat) : options.scheme);
    return p;
  };
  TuneResult r;
  auto record = [&](size_t k, double v, const char* what) {
    Trial t{k, v, v >= r.target, what};
    r.trials.push_back(t);
    if (log) log->append({{"trial", r.trials.size()}, {"fallback_count", k}, {"eval", v}, {"meets", t.meets}, {"what", what}});
    return t.meets;
  };
  r.baseline = subject.evaluate(nullptr);
  r.target = accuracy_target(r.baseline, options.tolerance, options.relative);
  record(n, r.baseline, "float baseline");
  auto eval_plan = [&](size_t k) {
    QuantPlan p = plan_with(k);
    QuantizingInterceptor q(context, p);
    return subject.evaluate(&q);
  };
  double best_eval = r.baseline;
  size_t lo = 0, hi = n;  // invariant: plan(hi) meets; plan(lo) fails once evaluated
  const double all_quant = eval_plan(0);
  if (record(0, all_quant, "all quantized")) {
    hi = 0;
    best_eval = all_quant;
  } else {
    while (hi - lo > 1) {
      const size_t mid = lo + (hi - lo) / 2;
      const double v = eval_plan(mid);
      if (record(mid, v, "bisection")) {
        hi = mid;
        best_eval = v;
      } else {
        lo = mid;
      }
    }
  }
  r.plan = plan_with(hi);
  r.fallback_count = hi;
  r.final_eval = best_eval;
  return r;
}

void write_tune_report(const std::filesystem::path& out_dir, const TuneResult& result,
                       const TuneOptions& options, const std::vector<std::string>& order) {
  std::filesystem::create_directories(out_dir);
  write_file_atomic(out_dir / "plan.json", result.plan.to_json().dump(2) + "\n");
  write_file_atomic(out_dir / "inc_op_name_dict.json", result.plan.to_inc_op_name_dict().dump(2) + "\n");
  Json report = result.to_json();
  report["format"] = "vlq-ptq-report";
  report["scheme"] = options.scheme;
  report["criterion"] = options.relative ? "relative" : "absolute";
  report["tolerance"] = options.tolerance;
  Json fallen = Json::array();
  for (size_t i = 0; i < result.fallback_count && i < order.size(); ++i) fallen.push_back(order[i]);
  report["float_ops"] = fallen;
  write_file_atomic(out_dir / "ptq_report.json", report.dump(2) + "\n");

  std::ostringstream md;
  char buf[256];
  md << "# PTQ with an accuracy criterion: scheme `" << options.scheme << "`\n\n";
  std::snprintf(buf, sizeof buf, "- baseline eval scalar (−mean NLL, higher is better): %.6f\n- target (%s, tolerance %g): %.6f\n",
                result.baseline, options.relative ? "relative: baseline − tol·|baseline|" : "absolute: baseline − tol",
                options.tolerance, result.target);
  md << buf;
  std::snprintf(buf, sizeof buf, "- result: %zu of %zu ops quantized, %zu fallen back to float, eval %.6f (%s)\n- evaluations: %d (bisection over the sensitivity ranking; the all-float end is the baseline)\n\n",
                result.plan.quantized_count(), result.plan.ops.size(), result.fallback_count, result.final_eval,
                result.final_eval >= result.target ? "meets the target" : "MISSES the target", result.evaluations());
  md << buf << "| trial | fallback ops | eval | meets | what |\n|---:|---:|---:|---|---|\n";
  for (size_t i = 0; i < result.trials.size(); ++i) {
    const Trial& t = result.trials[i];
    std::snprintf(buf, sizeof buf, "| %zu | %zu | %.6f | %s | %s |\n", i + 1, t.fallback_count, t.eval,
                  t.meets ? "yes" : "no", t.what.c_str());
    md << buf;
  }
  md << "\nOps kept in float (most sensitive first):\n\n";
  for (const auto& op : fallen) md << "- `" << op.get<std::string>() << "`\n";
  md << "\nPlot: `ptq_eval_vs_fallback.png` (eval scalar vs number of fallback ops), if matplotlib is available.\n";
  write_file_atomic(out_dir / "ptq_report.md", md.str());
}

}  // namespace vlq::quant
