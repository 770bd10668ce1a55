// Language-model forward throughput and the share of the machine's sgemm peak that the model's
// Linear layers reach, in one run:
//   * SgemmPeak: a large square cblas_sgemm (2048³) — the machine's practical fp32 peak;
//   * LmForward: Qwen25VL::forward on a checkpoint (batch 4 × 64 tokens), with a
//     LinearInterceptor that times each Linear from before() to after() (the sgemm + bias), so
//     the GFLOP/s of the linears is measured inside the real forward.
// The checkpoint is $VLQ_BENCH_MODEL (e.g. the random-weight 3B made by bench/bench_model.py);
// without it the benchmark generates nothing and only SgemmPeak runs.
// Counters: linear_GFLOPs (achieved in the linears), linear_share (fraction of forward time
// spent in linears), tokens_per_s. Compare linear_GFLOPs with SgemmPeak's GFLOPs.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <vector>

#include "vlq/model/kernels.hpp"
#include "vlq/model/qwen2_5_vl.hpp"

namespace {

int bench_threads() {
  const char* env = std::getenv("VLQ_THREADS");
  return env ? std::atoi(env) : 0;
}

void SgemmPeak(benchmark::State& state) {
  vlq::model::kernels::set_num_threads(bench_threads());
  const int n = static_cast<int>(state.range(0));
  std::vector<float> a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n);
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto* v : {&a, &b})
    for (auto& x : *v) x = u(rng);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f,
                c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * n * n * n * double(state.iterations()) / 1e9,
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(SgemmPeak)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

class LinearTimer : public vlq::model::LinearInterceptor {
 public:
  double seconds = 0, flops = 0;
  void before(const vlq::model::LinearOp&, vlq::model::ActivationView) override {
    start_ = std::chrono::steady_clock::now();
  }
  void after(const vlq::model::LinearOp& op, vlq::model::ActivationView out) override {
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    flops += 2.0 * double(out.rows) * double(op.in_features) * double(op.out_features);
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

void LmForward(benchmark::State& state) {
  const char* dir = std::getenv("VLQ_BENCH_MODEL");
  if (dir == nullptr) {
    state.SkipWithError("set VLQ_BENCH_MODEL to a checkpoint directory");
    return;
  }
  vlq::model::LoadOptions options;
  options.threads = bench_threads();
  options.cache_f32_weights = state.range(0) != 0;
  const auto model = vlq::model::Qwen25VL::load(dir, options);
  const int64_t B = 4, L = 64;
  std::vector<int64_t> ids(size_t(B * L)), mask(size_t(B * L), 1);
  std::mt19937 rng(1);
  for (auto& id : ids) id = int64_t(rng() % 151000);
  vlq::model::ModelInputs in;
  in.batch_size = B;
  in.seq_len = L;
  in.input_ids = ids;
  in.attention_mask = mask;
  LinearTimer timer;
  double total = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto logits = model.forward(in, &timer);
    benchmark::DoNotOptimize(logits.data());
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  state.counters["tokens_per_s"] = double(B * L) * double(state.iterations()) / total;
  state.counters["linear_GFLOPs"] = timer.flops / timer.seconds / 1e9;
  state.counters["linear_share"] = timer.seconds / total;
}
// Arg: 0 = widen weights per layer on every forward (default), 1 = cached fp32 weights.
BENCHMARK(LmForward)->Arg(0)->Arg(1)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
