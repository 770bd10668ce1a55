#include "vlq/quant/sensitivity.hpp"

#include <charconv>
#include <chrono>
#include <optional>
#include <cmath>
#include <map>
#include <set>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/core/progress.hpp"
#include "vlq/quant/interceptors.hpp"
#include "vlq/quant/jsonl_log.hpp"
#include "vlq/quant/output_error.hpp"
#include "vlq/quant/quant_plan.hpp"
#include "vlq/quant/sensitivity_report.hpp"

namespace vlq::quant {

std::vector<SensitivityMethod> parse_methods(std::string_view list) {
  std::vector<SensitivityMethod> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string_view m = list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (m == "local") out.push_back(SensitivityMethod::kLocal);
    else if (m == "loss") out.push_back(SensitivityMethod::kLoss);
    else if (m == "output") out.push_back(SensitivityMethod::kOutput);
    else if (m == "fallback") out.push_back(SensitivityMethod::kFallback);
    else fail("--method: unknown method '" + std::string(m) + "' (known: local, loss, output, fallback)");
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::string method_name(SensitivityMethod m) {
  switch (m) {
    case SensitivityMethod::kLocal: return "local";
    case SensitivityMethod::kLoss: return "loss";
    case SensitivityMethod::kOutput: return "output";
    case SensitivityMethod::kFallback: return "fallback";
  }
  return "?";
}

std::string method_semantics(SensitivityMethod m) {
  switch (m) {
    case SensitivityMethod::kLocal:
      return "score = ||y_q - y||^2 / ||y||^2 of the op alone on its float calibration inputs; higher = more sensitive";
    case SensitivityMethod::kLoss:
      return "score = eval(float) - eval(only this op quantized), eval = -mean NLL; higher = more sensitive";
    case SensitivityMethod::kOutput:
      return "score = sum of squared logit errors (INC mse_v2 style) over real positions of the confidence batches, only this op quantized; higher = more sensitive";
    case SensitivityMethod::kFallback:
      return "score = eval(all quantized except this op) - eval(all quantized); higher = more sensitive (INC's ascending-MSE fallback order, first = most sensitive)";
  }
  return "";
}

std::string method_cost(SensitivityMethod m) {
  switch (m) {
    case SensitivityMethod::kLocal: return "2 forwards over the calibration set + 2 GEMMs on <= R rows per op";
    case SensitivityMethod::kLoss: return "1 + N eval-set passes";
    case SensitivityMethod::kOutput:
      return "1 + N forwards of C confidence batches to the final hidden state + a hidden x hidden GEMM per op "
             "(full logits per op with --output-kl or for lm_head)";
    case SensitivityMethod::kFallback: return "2 + N eval-set passes";
  }
  return "";
}

std::pair<int, int> parse_shard(std::string_view text) {
  auto slash = text.find('/');
  int i = -1, n = -1;
  auto ok = [](std::string_view s, int& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size();
  };
  if (slash == std::string_view::npos || !ok(text.substr(0, slash), i) ||
      !ok(text.substr(slash + 1), n) || n < 1 || i < 0 || i >= n)
    fail("--shard: expected i/n with 0 <= i < n, got '" + std::string(text) + "'");
  return {i, n};
}

std::string log_file_name(SensitivityMethod method, int shard_index, int shard_count) {
  if (shard_count == 1) return method_name(method) + ".jsonl";
  return method_name(method) + ".shard-" + std::to_string(shard_index) + "-of-" +
         std::to_string(shard_count) + ".jsonl";
}

namespace {

Json op_fields(const model::LinearOp& op, int64_t index) {
  return {{"op", op.name},
          {"index", index},
          {"tower", op.tower == model::Tower::kVision ? "vision" : "language"},
          {"layer", op.layer},
          {"kind", op.kind}};
}

QuantPlan single_op_plan(const std::string& op, const std::string& scheme) {
  QuantPlan p;
  p.set(op, scheme);
  return p;
}

}  // namespace

std::vector<Json> run_sensitivity(QuantSubject& subject, QuantContext& context,
                                  const std::vector<model::LinearOp>& selected,
                                  const SensitivityOptions& options,
                                  const std::filesystem::path& out_dir) {
  const Scheme scheme = scheme_from_name(options.scheme);
  std::filesystem::create_directories(out_dir);
  // This shard's ops (with their index in the full selected list, so merged shards sort stably).
  std::vector<std::pair<int64_t, const model::LinearOp*>> mine;
  for (size_t i = 0; i < selected.size(); ++i)
    if (static_cast<int>(i % options.shard_count) == options.shard_index)
      mine.emplace_back(static_cast<int64_t>(i), &selected[i]);

  Json meta = sensitivity_meta(options.scheme, selected, context.observer());
  std::map<std::string, double> baselines;
  auto need = [&](SensitivityMethod m) {
    for (auto x : options.methods) if (x == m) return true;
    return false;
  };
  if (need(SensitivityMethod::kLoss) || need(SensitivityMethod::kFallback)) {
    baselines["eval_float"] = subject.evaluate(nullptr);
    // The hooks themselves must not change anything: an all-float plan through the quantizing
    // interceptor has to reproduce the float scalar exactly (checked by the tests).
    QuantPlan none;
    for (const auto& op : selected) none.set(op.name, kFloat);
    QuantizingInterceptor q(context, none);
    baselines["eval_no_op_quantized"] = subject.evaluate(&q);
  }
  QuantPlan all_quant;
  for (const auto& op : selected) all_quant.set(op.name, options.scheme);
  if (need(SensitivityMethod::kFallback)) {
    QuantizingInterceptor q(context, all_quant);
    baselines["eval_all_quantized"] = subject.evaluate(&q);
  }
  for (const auto& [k, v] : baselines) meta["baselines"][k] = v;
  meta["shard"] = {{"index", options.shard_index}, {"count", options.shard_count}};
  const std::string meta_name = options.shard_count == 1
      ? std::string("meta.json")
      : "meta.shard-" + std::to_string(options.shard_index) + "-of-" + std::to_string(options.shard_count) + ".json";
  write_file_atomic(out_dir / meta_name, meta.dump(2) + "\n");

  std::vector<Json> all_records;
  for (SensitivityMethod method : options.methods) {
    JsonlLog log(out_dir / log_file_name(method, options.shard_index, options.shard_count), options.resume);
    std::set<std::string> done;
    for (const auto& r : log.existing()) {
      done.insert(r.at("op").get<std::string>());
      all_records.push_back(r);
    }
    std::vector<std::pair<int64_t, const model::LinearOp*>> todo;
    for (const auto& item : mine)
      if (!done.count(item.second->name)) todo.push_back(item);
    if (todo.empty()) continue;
    Progress progress("sensitivity " + method_name(method), static_cast<int64_t>(todo.size()), options.progress);
    // Each record carries the seconds its op took (from the previous record), so benches and
    // users see the marginal per-op cost apart from model loading, calibration and baselines.
    auto op_started = std::chrono::steady_clock::now();
    auto emit = [&](const model::LinearOp& op, int64_t index, double score, Json metrics) {
      const auto now = std::chrono::steady_clock::now();
      Json r = op_fields(op, index);
      r["method"] = method_name(method);
      r["score"] = score;
      r["metrics"] = std::move(metrics);
      r["seconds"] = std::chrono::duration<double>(now - op_started).count();
      op_started = now;
      log.append(r);
      all_records.push_back(std::move(r));
      progress.advance();
    };
    switch (method) {
      case SensitivityMethod::kLocal: {
        std::set<std::string> names;
        for (const auto& [i, op] : todo) names.insert(op->name);
        LocalErrorInterceptor local(context, scheme, names, options.local_rows);
        subject.calibrate(local);
        for (const auto& [i, op] : todo) {
          auto it = local.errors().find(op->name);
          LocalError e = it == local.errors().end() ? LocalError{} : it->second;
          emit(*op, i, e.relative(), {{"relative_sse", e.relative()}, {"mse", e.mse()}, {"sampled_outputs", e.elements}});
        }
        break;
      }
      case SensitivityMethod::kLoss: {
        const double base = baselines.at("eval_float");
        for (const auto& [i, op] : todo) {
          QuantPlan plan = single_op_plan(op->name, options.scheme);
          QuantizingInterceptor q(context, plan);
          const double v = options.resume_at_op_layer ? subject.evaluate_changing(*op, q) : subject.evaluate(&q);
          emit(*op, i, base - v, {{"eval", v}, {"eval_float", base}});
        }
        break;
      }
      case SensitivityMethod::kOutput: {
        // Hidden-space scoring (output_error.hpp) unless KL was asked for; the head itself, and
        // subjects without a separable head, go through full logits.
        const int batches = options.confidence_batches;
        std::optional<OutputHead> head = options.output_kl ? std::nullopt : subject.output_head();
        std::optional<Hidden> ref_hidden;
        std::vector<float> gram;
        if (head) {
          ref_hidden = subject.output_hidden(nullptr, batches);
          if (ref_hidden) gram = head_gram(head->weight, head->out_features, head->in_features);
          head->weight = {};  // only the Gram matrix is needed from here on
        }
        std::optional<Logits> ref_logits;
        op_started = std::chrono::steady_clock::now();  // the Gram matrix is a per-run cost
        for (const auto& [i, op] : todo) {
          QuantPlan plan = single_op_plan(op->name, options.scheme);
          QuantizingInterceptor q(context, plan);
          if (ref_hidden && op->name != head->op_name) {
            std::optional<Hidden> h = options.resume_at_op_layer ? subject.output_hidden_changing(*op, q, batches)
                                                                 : subject.output_hidden(&q, batches);
            const OutputError e = compare_hidden(*ref_hidden, *h, gram, head->out_features);
            emit(*op, i, e.sse, {{"sse", e.sse}, {"mse", e.mse}, {"positions", ref_hidden->rows}, {"via", "gram"}});
            continue;
          }
          if (!ref_logits) ref_logits = subject.output_logits(nullptr, batches);
          const OutputError e = compare_logits(*ref_logits, subject.output_logits(&q, batches));
          emit(*op, i, e.sse,
               {{"sse", e.sse}, {"mse", e.mse}, {"kl_mean", e.kl}, {"positions", ref_logits->rows}, {"via", "logits"}});
        }
        break;
      }
      case SensitivityMethod::kFallback: {
        const double all = baselines.at("eval_all_quantized");
        for (const auto& [i, op] : todo) {
          QuantPlan plan = all_quant;
          plan.set(op->name, kFloat);
          QuantizingInterceptor q(context, plan);
          const double v = subject.evaluate(&q);
          emit(*op, i, v - all, {{"eval", v}, {"eval_all_quantized", all}});
        }
        break;
      }
    }
    progress.finish();
  }
  if (options.shard_count == 1) write_sensitivity_report(out_dir, meta, all_records);
  return all_records;
}

}  // namespace vlq::quant
