// kernels::linear over WeightMatrix and the thread pool behind it. The matmul blocks K into
// chunks and widens non-fp32 weights tile by tile; the model's tests (and quantization's
// "observing changes nothing" checks) rely on the result being bit-identical whatever the
// weight's storage and the thread count, so that is pinned here on shapes that span several
// tiles and K chunks. Accuracy is checked against a double-precision reference.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>

#include "vlq/model/kernels.hpp"
#include "vlq/model/safetensors.hpp"
#include "vlq/model/thread_pool.hpp"

namespace vlq::model {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

// bf16 bytes of v (truncated) and the fp32 values they stand for.
void to_bf16(const std::vector<float>& v, std::vector<std::byte>& bytes, std::vector<float>& widened) {
  bytes.resize(v.size() * 2);
  widened.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    const auto half = static_cast<uint16_t>(bits >> 16);
    std::memcpy(&bytes[2 * i], &half, 2);
    widened[i] = bf16_to_f32(half);
  }
}

TensorInfo stored(std::span<const std::byte> bytes, DType dtype, int64_t rows, int64_t cols) {
  static const std::filesystem::path kFile = "<test>";
  TensorInfo t;
  t.name = "w";
  t.dtype = dtype;
  t.shape = {rows, cols};
  t.bytes = bytes;
  t.file = &kFile;
  return t;
}

struct Case {
  int64_t rows, in, out;
};

class LinearKernel : public ::testing::TestWithParam<Case> {
 protected:
  void TearDown() override { kernels::set_num_threads(0); }
};

TEST_P(LinearKernel, StorageAndThreadCountDoNotChangeABit) {
  const auto [M, K, N] = GetParam();
  const auto x = random_floats(size_t(M * K), 1), bias = random_floats(size_t(N), 3);
  std::vector<std::byte> bf16;
  std::vector<float> w;
  to_bf16(random_floats(size_t(N * K), 2), bf16, w);

  kernels::set_num_threads(1);
  std::vector<float> reference(size_t(M * N));
  kernels::linear(x, M, WeightMatrix(w, N, K), bias, reference);
  // Same values stored as bf16, widened tile by tile inside the matmul, on several threads.
  for (int threads : {2, 3}) {
    kernels::set_num_threads(threads);
    std::vector<float> from_f32(size_t(M * N)), from_bf16(size_t(M * N));
    kernels::linear(x, M, WeightMatrix(w, N, K), bias, from_f32);
    kernels::linear(x, M, WeightMatrix::of(stored(bf16, DType::kBF16, N, K)), bias, from_bf16);
    EXPECT_EQ(from_f32, reference) << threads << " threads";
    EXPECT_EQ(from_bf16, reference) << threads << " threads";
  }
  // And it is the matmul: against a double-precision sum (fp32 rounding of K-term dot products).
  for (int64_t r = 0; r < M; r += std::max<int64_t>(1, M / 3))
    for (int64_t j = 0; j < N; j += std::max<int64_t>(1, N / 7)) {
      double sum = bias[size_t(j)];
      for (int64_t k = 0; k < K; ++k) sum += double(x[size_t(r * K + k)]) * double(w[size_t(j * K + k)]);
      EXPECT_NEAR(reference[size_t(r * N + j)], sum, 1e-5 * std::sqrt(double(K)) * 4) << r << "," << j;
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, LinearKernel,
                         ::testing::Values(Case{5, 4100, 300},   // 3 K chunks, several column parts
                                           Case{64, 96, 2500},   // one K chunk, many tiles
                                           Case{3, 7, 5}));      // below the parallel threshold

TEST(LinearKernel, MisalignedF32IsWidenedAndStillExact) {
  const int64_t M = 4, K = 33, N = 70;
  const auto x = random_floats(size_t(M * K), 4), w = random_floats(size_t(N * K), 5);
  std::vector<std::byte> buffer(w.size() * 4 + 1);
  std::memcpy(buffer.data() + 1, w.data(), w.size() * 4);  // as after an odd-sized bf16 tensor
  const auto matrix = WeightMatrix::of(stored(std::span(buffer).subspan(1), DType::kF32, N, K));
  EXPECT_TRUE(matrix.f32().empty());
  std::vector<float> a(size_t(M * N)), b(size_t(M * N));
  kernels::linear(x, M, WeightMatrix(w, N, K), {}, a);
  kernels::linear(x, M, matrix, {}, b);
  EXPECT_EQ(a, b);
  std::vector<float> scratch;
  const auto widened = matrix.to_f32(scratch);
  EXPECT_TRUE(std::equal(widened.begin(), widened.end(), w.begin(), w.end()));
}

TEST(ThreadPool, RunsEveryTaskOnceAndNestsSerially) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.run(1000, [&](int64_t i) {
    hits[size_t(i)]++;
    // A nested run (a kernel called from inside a task) completes on the calling thread.
    std::atomic<int> inner{0};
    pool.run(3, [&](int64_t) { inner++; });
    EXPECT_EQ(inner.load(), 3);
  });
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, RethrowsATaskException) {
  ThreadPool pool(2);
  std::atomic<int> ran{0};
  EXPECT_THROW(pool.run(50,
                        [&](int64_t i) {
                          ran++;
                          if (i == 17) throw std::runtime_error("task 17");
                        }),
               std::runtime_error);
  EXPECT_EQ(ran.load(), 50);  // the other tasks still ran; the pool is usable afterwards
  pool.run(4, [&](int64_t) { ran++; });
  EXPECT_EQ(ran.load(), 54);
}

}  // namespace
}  // namespace vlq::model
