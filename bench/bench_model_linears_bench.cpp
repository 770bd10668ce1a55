// How close the language model's Linear layers come to the machine's sgemm peak, in one run.
//   1. sgemm peak, measured here with the same OpenBLAS and thread count ($VLQ_THREADS, default
//      all cores): a large square cblas_sgemm (2048³) with OpenBLAS's own threads — the
//      machine's practical fp32 peak — and the same on each Linear shape of the model
//      ([B·L, in] · [out, in]ᵀ).
//   2. kernels::linear (what the model calls: columns split over vlq's pool, one OpenBLAS
//      thread per part) on the same shapes, with the weight in fp32 and stored as bf16
//      (widened tile by tile inside the matmul, as the forward does for a bf16 checkpoint).
//   3. Qwen25VL::forward on $VLQ_BENCH_MODEL (batch 4 × 64 tokens) with an interceptor that
//      times every Linear from before() to after() and promises not to replace weights, so the
//      forward takes the same path as without it: GFLOP/s achieved in the linears inside the
//      real forward, their share of forward time, tokens/s.
// Every figure is the median of --reps timed runs after one warm-up run (the machine is shared;
// the load average is printed with the results). Without $VLQ_BENCH_MODEL only 1 and 2 run,
// on the Qwen2.5-VL-3B shapes.
//
// usage: VLQ_THREADS=2 VLQ_BENCH_MODEL=dir bench_model_linears_bench [--reps N] [--forward-reps N]
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "vlq/model/config.hpp"
#include "vlq/model/kernels.hpp"
#include "vlq/model/qwen2_5_vl.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// One warm-up call, then the median of `reps` timed calls.
double median_seconds(int reps, const std::function<void()>& f) {
  f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    f();
    t.push_back(seconds_since(t0));
  }
  return median(t);
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

std::vector<uint16_t> to_bf16(const std::vector<float>& v) {
  std::vector<uint16_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    out[i] = static_cast<uint16_t>(bits >> 16);
  }
  return out;
}

struct Shape {
  std::string name;
  int64_t rows, in, out;
  int count;  // how many such linears one forward runs
  double gflop() const { return 2.0 * double(rows) * double(in) * double(out) / 1e9; }
};

// sgemm with OpenBLAS's own threading (what any BLAS user gets), y = x · wᵀ.
double openblas_seconds(const Shape& s, int threads, int reps) {
  std::vector<float> x = random_floats(size_t(s.rows * s.in), 1), w = random_floats(size_t(s.out * s.in), 2),
                     y(size_t(s.rows * s.out));
  openblas_set_num_threads(threads);
  const double t = median_seconds(reps, [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(s.rows), int(s.out), int(s.in), 1.0f, x.data(),
                int(s.in), w.data(), int(s.in), 0.0f, y.data(), int(s.out));
  });
  vlq::model::kernels::set_num_threads(threads);  // back to one OpenBLAS thread per pool task
  return t;
}

// kernels::linear with the weight as fp32 (bf16 = false) or as stored bf16.
double kernels_seconds(const Shape& s, bool bf16, int reps) {
  std::vector<float> x = random_floats(size_t(s.rows * s.in), 1), w = random_floats(size_t(s.out * s.in), 2),
                     y(size_t(s.rows * s.out));
  std::vector<uint16_t> stored;
  vlq::model::WeightMatrix matrix(w, s.out, s.in);
  if (bf16) {
    stored = to_bf16(w);
    vlq::model::TensorInfo info;
    info.name = s.name;
    info.dtype = vlq::model::DType::kBF16;
    info.shape = {s.out, s.in};
    info.bytes = std::as_bytes(std::span<const uint16_t>(stored));
    static const std::filesystem::path kNoFile = "<memory>";
    info.file = &kNoFile;
    matrix = vlq::model::WeightMatrix::of(info);
  }
  return median_seconds(reps, [&] { vlq::model::kernels::linear(x, s.rows, matrix, {}, y); });
}

class LinearTimer : public vlq::model::LinearInterceptor {
 public:
  double seconds = 0, gflop = 0;
  std::map<std::string, std::pair<double, double>> by_kind;  // kind → (seconds, gflop)
  void before(const vlq::model::LinearOp&, vlq::model::ActivationView) override { start_ = Clock::now(); }
  void after(const vlq::model::LinearOp& op, vlq::model::ActivationView out) override {
    const double t = seconds_since(start_);
    const double g = 2.0 * double(out.rows) * double(op.in_features) * double(op.out_features) / 1e9;
    seconds += t;
    gflop += g;
    by_kind[op.kind].first += t;
    by_kind[op.kind].second += g;
  }
  bool replaces_weight(const vlq::model::LinearOp&) const override { return false; }
  void reset() { *this = LinearTimer(); }

 private:
  Clock::time_point start_;
};

int int_flag(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) try {
  const int reps = int_flag(argc, argv, "--reps", 5);
  const int forward_reps = int_flag(argc, argv, "--forward-reps", 3);
  const char* model_dir = std::getenv("VLQ_BENCH_MODEL");
  vlq::model::kernels::set_num_threads(0);  // $VLQ_THREADS or all cores
  const int threads = vlq::model::kernels::num_threads();
  const int64_t B = 4, L = 64, R = B * L;

  vlq::model::TextConfig text;
  if (model_dir != nullptr) {
    text = vlq::model::load_config(model_dir).text;
  } else {  // Qwen2.5-VL-3B-Instruct
    text.hidden_size = 2048, text.intermediate_size = 11008, text.num_attention_heads = 16;
    text.num_key_value_heads = 2, text.head_dim = 128, text.vocab_size = 151936, text.num_hidden_layers = 36;
  }
  const int64_t H = text.hidden_size, I = text.intermediate_size, D = text.head_dim;
  const int64_t q = text.num_attention_heads * D, kv = text.num_key_value_heads * D;
  const int layers = int(text.num_hidden_layers);
  const std::vector<Shape> shapes = {{"q_proj", R, H, q, layers},       {"k_proj/v_proj", R, H, kv, 2 * layers},
                                     {"o_proj", R, q, H, layers},       {"gate_proj/up_proj", R, H, I, 2 * layers},
                                     {"down_proj", R, I, H, layers},    {"lm_head", R, H, text.vocab_size, 1}};

  std::printf("threads %d, load average %s, median of %d runs after a warm-up\n", threads,
              load_average().c_str(), reps);
  const Shape square{"square 2048^3", 2048, 2048, 2048, 0};
  const double peak = square.gflop() / openblas_seconds(square, threads, reps);
  std::printf("sgemm peak (OpenBLAS, %d threads, 2048^3): %.1f GFLOP/s; kernels::linear on it: %.1f GFLOP/s\n\n",
              threads, peak, square.gflop() / kernels_seconds(square, false, reps));
  std::printf("%-18s %-20s %10s %10s %10s %10s\n", "linear", "[rows x in -> out]", "OpenBLAS", "vlq f32",
              "vlq bf16", "(GFLOP/s)");
  double weighted_openblas_s = 0, total_gflop = 0;
  for (const auto& s : shapes) {
    const double t_blas = openblas_seconds(s, threads, reps);
    const double t_f32 = kernels_seconds(s, false, reps);
    const double t_bf16 = kernels_seconds(s, true, reps);
    char dims[64];
    std::snprintf(dims, sizeof dims, "%ldx%ld->%ld", long(s.rows), long(s.in), long(s.out));
    std::printf("%-18s %-20s %10.1f %10.1f %10.1f\n", s.name.c_str(), dims, s.gflop() / t_blas,
                s.gflop() / t_f32, s.gflop() / t_bf16);
    weighted_openblas_s += t_blas * s.count;
    total_gflop += s.gflop() * s.count;
  }
  const double shape_peak = total_gflop / weighted_openblas_s;
  std::printf("OpenBLAS on the forward's linear shapes, FLOP-weighted: %.1f GFLOP/s\n", shape_peak);

  if (model_dir == nullptr) {
    std::printf("\n(set VLQ_BENCH_MODEL to a checkpoint directory to time the linears inside a forward)\n");
    return 0;
  }
  for (const bool cache : {false, true}) {
    vlq::model::LoadOptions options;
    options.threads = threads;
    options.cache_f32_weights = cache;
    const auto model = vlq::model::Qwen25VL::load(model_dir, options);
    std::vector<int64_t> ids(static_cast<size_t>(R)), mask(static_cast<size_t>(R), 1);
    std::mt19937 rng(1);
    for (auto& id : ids) id = int64_t(rng() % uint32_t(std::min<int64_t>(text.vocab_size, 151000)));
    vlq::model::ModelInputs in;
    in.batch_size = B;
    in.seq_len = L;
    in.input_ids = ids;
    in.attention_mask = mask;
    std::vector<float> logits(size_t(R * text.vocab_size));
    LinearTimer timer;
    std::vector<double> forward_s, linear_s, linear_gflops;
    std::map<std::string, std::vector<double>> kind_gflops;
    model.forward_into(in, logits, &timer);  // warm-up (page cache, pool, allocator)
    for (int i = 0; i < forward_reps; ++i) {
      timer.reset();
      const auto t0 = Clock::now();
      model.forward_into(in, logits, &timer);
      forward_s.push_back(seconds_since(t0));
      linear_s.push_back(timer.seconds);
      linear_gflops.push_back(timer.gflop / timer.seconds);
      for (const auto& [kind, sg] : timer.by_kind) kind_gflops[kind].push_back(sg.second / sg.first);
    }
    const double fwd = median(forward_s), lin = median(linear_s), gf = median(linear_gflops);
    std::printf("\nforward %s (%s weights, batch %ldx%ld, median of %d after a warm-up; load %s)\n", model_dir,
                cache ? "cached fp32" : "memory-mapped", long(B), long(L), forward_reps, load_average().c_str());
    std::printf("  %.3f s/forward, %.1f tokens/s; linears %.3f s (%.0f%% of the forward)\n", fwd, double(R) / fwd,
                lin, 100.0 * lin / fwd);
    std::printf("  linears: %.1f GFLOP/s = %.0f%% of the 2048^3 sgemm peak, %.0f%% of OpenBLAS on the same shapes\n",
                gf, 100.0 * gf / peak, 100.0 * gf / shape_peak);
    for (const auto& [kind, v] : kind_gflops) std::printf("    %-10s %.1f GFLOP/s\n", kind.c_str(), median(v));
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_model_linears_bench: %s\n", e.what());
  return 1;
}
