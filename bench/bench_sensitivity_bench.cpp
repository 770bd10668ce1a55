// Per-op cost of vlq's sensitivity methods on a real checkpoint + datasets (e.g. the tiny
// checkpoint and datasets tests/python/test_quant_cli.py builds in ~/.cache/vlq/test-quant).
//   VLQ_BENCH_MODEL=DIR VLQ_BENCH_CALIB=DIR VLQ_BENCH_EVAL=DIR bench_sensitivity_bench
// Reports seconds per scored op (counter "s_per_op") for local, loss, output and fallback;
// compare with the INC mse_v2 bench (seconds per scored op) for the speed-up.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "vlq/quant/run_setup.hpp"
#include "vlq/quant/sensitivity.hpp"

namespace {

vlq::quant::RunSetup* setup() {
  static std::unique_ptr<vlq::quant::RunSetup> s;
  if (!s) {
    const char* m = std::getenv("VLQ_BENCH_MODEL");
    const char* c = std::getenv("VLQ_BENCH_CALIB");
    const char* e = std::getenv("VLQ_BENCH_EVAL");
    if (!m || !c || !e) return nullptr;
    vlq::quant::RunInputs in;
    in.model_dir = m;
    in.calib_dir = c;
    in.eval_dir = e;
    in.selector.include = {"model.layers.*"};
    in.progress = false;
    s = std::make_unique<vlq::quant::RunSetup>(vlq::quant::prepare_run(in));
  }
  return s.get();
}

void BM_Sensitivity(benchmark::State& state, const char* method) {
  auto* s = setup();
  if (!s) {
    state.SkipWithError("set VLQ_BENCH_MODEL, VLQ_BENCH_CALIB, VLQ_BENCH_EVAL");
    return;
  }
  vlq::quant::SensitivityOptions o;
  o.methods = vlq::quant::parse_methods(method);
  o.progress = false;
  auto out = std::filesystem::temp_directory_path() / "vlq_bench_sensitivity";
  for (auto _ : state) vlq::quant::run_sensitivity(*s->subject, *s->context, s->selected, o, out);
  state.counters["ops"] = static_cast<double>(s->selected.size());
  state.counters["s_per_op"] = benchmark::Counter(
      static_cast<double>(s->selected.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  std::filesystem::remove_all(out);
}

BENCHMARK_CAPTURE(BM_Sensitivity, local, "local")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Sensitivity, loss, "loss")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Sensitivity, output, "output")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_Sensitivity, fallback, "fallback")->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
