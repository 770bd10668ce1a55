#include "vlq/quant/sensitivity_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/quant/jsonl_log.hpp"
#include "vlq/quant/sensitivity.hpp"

namespace vlq::quant {

Json sensitivity_meta(const std::string& scheme, const std::vector<model::LinearOp>& selected,
                      const ObserverConfig& observer) {
  Json ops = Json::array();
  for (const auto& op : selected) ops.push_back(op.name);
  return {{"format", "vlq-sensitivity-meta"},
          {"scheme", scheme},
          {"observer", {{"method", std::string(observer_method_name(observer.method))},
                        {"percentile", observer.percentile}}},
          {"ops", ops},
          {"baselines", Json::object()}};
}

namespace {

std::vector<double> average_ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = (static_cast<double>(i + j) / 2.0) + 1.0;
    i = j + 1;
  }
  return r;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.size() < 2) return std::nan("");
  auto ra = average_ranks(a), rb = average_ranks(b);
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
  const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}

Json write_sensitivity_report(const std::filesystem::path& out_dir, const Json& meta,
                              const std::vector<Json>& records) {
  // Group by method (in a fixed order) and rank: score descending, ties by op index.
  std::map<std::string, std::vector<Json>> by_method;
  for (const auto& r : records) by_method[r.at("method").get<std::string>()].push_back(r);
  Json report{{"format", "vlq-sensitivity"},
              {"scheme", meta.at("scheme")},
              {"observer", meta.at("observer")},
              {"baselines", meta.value("baselines", Json::object())},
              {"op_count", meta.at("ops").size()},
              {"ordering", "rank 1 = most sensitive (highest score) for every method"},
              {"methods", Json::object()}};
  for (auto& [name, recs] : by_method) {
    std::sort(recs.begin(), recs.end(), [](const Json& a, const Json& b) {
      const double sa = a.at("score").get<double>(), sb = b.at("score").get<double>();
      if (sa != sb) return sa > sb;
      return a.at("index").get<int64_t>() < b.at("index").get<int64_t>();
    });
    SensitivityMethod m = parse_methods(name).front();
    Json ranking = Json::array();
    for (size_t i = 0; i < recs.size(); ++i) {
      Json row = recs[i];
      row.erase("method");
      // Timing stays in the JSONL logs: the report is a function of the scores only, so a
      // merged sharded run and a resumed run reproduce the unsharded report byte for byte.
      row.erase("seconds");
      row["rank"] = i + 1;
      ranking.push_back(std::move(row));
    }
    report["methods"][name] = {{"semantics", method_semantics(m)}, {"cost", method_cost(m)},
                               {"ranking", std::move(ranking)}};
  }
  // Spearman between every pair of methods over the ops both scored.
  Json corr = Json::array();
  for (auto a = by_method.begin(); a != by_method.end(); ++a)
    for (auto b = std::next(a); b != by_method.end(); ++b) {
      std::map<std::string, double> sb;
      for (const auto& r : b->second) sb[r.at("op")] = r.at("score").get<double>();
      std::vector<double> xa, xb;
      for (const auto& r : a->second) {
        auto it = sb.find(r.at("op"));
        if (it == sb.end()) continue;
        xa.push_back(r.at("score").get<double>());
        xb.push_back(it->second);
      }
      const double rho = spearman(xa, xb);
      corr.push_back({{"a", a->first}, {"b", b->first}, {"ops", xa.size()},
                      {"spearman", std::isnan(rho) ? Json(nullptr) : Json(rho)}});
    }
  report["spearman"] = corr;
  write_file_atomic(out_dir / "sensitivity.json", report.dump(2) + "\n");

  std::string csv = "method,rank,op,tower,layer,kind,score\n";
  std::ostringstream md;
  md << "# Sensitivity: scheme `" << meta.at("scheme").get<std::string>() << "`, observer `"
     << meta.at("observer").at("method").get<std::string>() << "`, " << meta.at("ops").size()
     << " ops\n\n**Ordering: rank 1 = most sensitive (highest score) in every table.**\n\n";
  for (const auto& [k, v] : report["baselines"].items()) md << "- baseline " << k << ": " << fmt(v.get<double>()) << "\n";
  for (const auto& [name, m] : report["methods"].items()) {
    md << "\n## " << name << "\n\n" << m.at("semantics").get<std::string>() << ".  \nCost: "
       << m.at("cost").get<std::string>() << ".\n\n| rank | op | layer | kind | score |\n|---:|---|---:|---|---:|\n";
    for (const auto& row : m.at("ranking")) {
      const std::string op = row.at("op"), kind = row.at("kind");
      csv += name + "," + std::to_string(row.at("rank").get<int64_t>()) + "," + csv_field(op) + "," +
             row.at("tower").get<std::string>() + "," + std::to_string(row.at("layer").get<int64_t>()) +
             "," + csv_field(kind) + "," + fmt(row.at("score").get<double>()) + "\n";
      md << "| " << row.at("rank").get<int64_t>() << " | `" << op << "` | " << row.at("layer").get<int64_t>()
         << " | " << kind << " | " << fmt(row.at("score").get<double>()) << " |\n";
    }
  }
  if (!corr.empty()) {
    md << "\n## Spearman rank correlation between methods\n\n| a | b | ops | rho |\n|---|---|---:|---:|\n";
    for (const auto& c : corr)
      md << "| " << c.at("a").get<std::string>() << " | " << c.at("b").get<std::string>() << " | "
         << c.at("ops").get<size_t>() << " | "
         << (c.at("spearman").is_null() ? std::string("n/a") : fmt(c.at("spearman").get<double>())) << " |\n";
  }
  write_file_atomic(out_dir / "sensitivity.csv", csv);
  write_file_atomic(out_dir / "sensitivity.md", md.str());
  return report;
}

Json merge_sensitivity(const std::vector<std::filesystem::path>& inputs,
                       const std::filesystem::path& out_dir) {
  Json meta;
  std::filesystem::path meta_origin;
  std::vector<Json> records;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& dir : inputs) {
    if (!std::filesystem::is_directory(dir)) fail(dir, "not a directory");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      const std::string name = f.filename().string();
      if (name.rfind("meta", 0) == 0 && f.extension() == ".json") {
        Json m = read_json_file(f);
        if (m.value("format", "") != "vlq-sensitivity-meta") fail(f, "not a vlq sensitivity meta file");
        m.erase("shard");
        if (meta.is_null()) {
          meta = m;
          meta_origin = f;
        } else if (m != meta) {
          fail(f, "shard disagrees with " + meta_origin.string() + " (scheme, observer, op list or baselines differ)");
        }
      } else if (f.extension() == ".jsonl") {
        for (auto& r : read_jsonl(f)) {
          auto key = std::make_pair(r.at("method").get<std::string>(), r.at("op").get<std::string>());
          if (seen.insert(key).second) records.push_back(std::move(r));
        }
      }
    }
  }
  if (meta.is_null()) fail(inputs.empty() ? out_dir : inputs.front(), "no meta*.json found (not a sensitivity output)");
  std::map<std::string, size_t> per_method;
  for (const auto& r : records) ++per_method[r.at("method").get<std::string>()];
  for (const auto& [m, n] : per_method)
    if (n != meta.at("ops").size())
      fail(inputs.front(), "method " + m + ": " + std::to_string(n) + " of " +
                               std::to_string(meta.at("ops").size()) + " ops scored (missing shard or unfinished run?)");
  std::filesystem::create_directories(out_dir);
  return write_sensitivity_report(out_dir, meta, records);
}

}  // namespace vlq::quant
