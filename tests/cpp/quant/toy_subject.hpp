#pragma once
// A small synthetic QuantSubject for the sensitivity/tuner tests: a ReLU MLP of `depth` Linear
// ops ([d, d]) run through model::run_linear (the same hook contract as Qwen2.5-VL), ending in a
// classifier whose eval scalar is −mean cross-entropy against fixed labels. Row 3 of every batch
// is padding. Optionally op `damaged` gets an outlier input column (×kOutlier) while the previous
// op's matching output channel is divided by kOutlier: since ReLU is positively homogeneous the
// float function is unchanged, but per-output-channel weight scales of the damaged op are ruined.
#include <cmath>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "vlq/model/linear.hpp"
#include "vlq/quant/subject.hpp"

namespace vlq::quant::testing {

class ToySubject : public QuantSubject {
 public:
  static constexpr float kOutlier = 400.0f;
  ToySubject(int depth, int dim, int damaged = -1, unsigned seed = 7) : depth_(depth), dim_(dim) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f / std::sqrt(static_cast<float>(dim)));
    for (int l = 0; l < depth; ++l) {
      model::LinearOp op;
      op.name = "model.layers." + std::to_string(l / 2) + (l % 2 ? ".mlp.down_proj" : ".mlp.up_proj");
      op.layer = l / 2;
      op.kind = l % 2 ? "down_proj" : "up_proj";
      op.in_features = op.out_features = dim;
      ops_.push_back(op);
      std::vector<float> w(static_cast<size_t>(dim) * dim);
      for (float& v : w) v = n(rng) * 2.0f;
      weights_.push_back(std::move(w));
    }
    if (damaged > 0) {
      const int j = 5;
      for (int r = 0; r < dim; ++r) weights_[damaged][r * dim + j] *= kOutlier;
      for (int c = 0; c < dim; ++c) weights_[damaged - 1][j * dim + c] /= kOutlier;
    }
    std::normal_distribution<float> x(0.0f, 1.0f);
    std::uniform_int_distribution<int> label(0, dim - 1);
    for (int b = 0; b < 4; ++b) {
      std::vector<float> in(static_cast<size_t>(kRows) * dim);
      for (float& v : in) v = x(rng);
      inputs_.push_back(in);
      std::vector<int> lab(kRows);
      for (int& v : lab) v = label(rng);
      labels_.push_back(lab);
    }
  }
  std::vector<model::LinearOp> ops() const override { return ops_; }
  void calibrate(model::LinearInterceptor& i) override {
    for (size_t b = 0; b < inputs_.size(); ++b) run(b, &i);
  }
  double evaluate(model::LinearInterceptor* i) override {
    ++evaluations;
    if (fail_after >= 0 && evaluations > fail_after) throw std::runtime_error("simulated kill");
    double nll = 0.0;
    int count = 0;
    for (size_t b = 0; b < inputs_.size(); ++b) {
      std::vector<float> y = run(b, i);
      for (int r = 0; r < kRows; ++r) {
        if (!real_[r]) continue;
        const float* z = y.data() + r * dim_;
        double m = z[0], s = 0.0;
        for (int c = 0; c < dim_; ++c) m = std::max(m, static_cast<double>(z[c]));
        for (int c = 0; c < dim_; ++c) s += std::exp(z[c] - m);
        nll += m + std::log(s) - z[labels_[b][r]];
        ++count;
      }
    }
    return -nll / count;
  }
  Logits output_logits(model::LinearInterceptor* i, int batches) override {
    Logits out;
    out.vocab = dim_;
    for (int b = 0; b < batches && b < static_cast<int>(inputs_.size()); ++b) {
      std::vector<float> y = run(b, i);
      for (int r = 0; r < kRows; ++r)
        if (real_[r]) {
          out.values.insert(out.values.end(), y.begin() + r * dim_, y.begin() + (r + 1) * dim_);
          ++out.rows;
        }
    }
    return out;
  }
  // The last op plays the output head: its input is the "final hidden state".
  std::optional<Hidden> output_hidden(model::LinearInterceptor* i, int batches) override {
    Hidden out;
    out.width = dim_;
    for (int b = 0; b < batches && b < static_cast<int>(inputs_.size()); ++b) {
      std::vector<float> x = run(b, i, depth_ - 1);
      for (int r = 0; r < kRows; ++r)
        if (real_[r]) {
          out.values.insert(out.values.end(), x.begin() + r * dim_, x.begin() + (r + 1) * dim_);
          ++out.rows;
        }
    }
    return out;
  }
  std::optional<OutputHead> output_head() override {
    return OutputHead{ops_.back().name, dim_, dim_, weights_.back()};
  }
  int evaluations = 0;
  int fail_after = -1;

 private:
  static constexpr int kRows = 24;
  // Runs ops [0, layers) (default: all) on batch b.
  std::vector<float> run(size_t b, model::LinearInterceptor* interceptor, int layers = -1) const {
    std::vector<float> x = inputs_[b], y(x.size());
    for (int l = 0; l < (layers < 0 ? depth_ : layers); ++l) {
      model::run_linear(ops_[l], x, kRows, weights_[l], {}, y, interceptor, real_);
      if (l + 1 < depth_)
        for (float& v : y) v = std::max(v, 0.0f) * 1.5f;
      std::swap(x, y);
    }
    return x;
  }
  int depth_, dim_;
  std::vector<model::LinearOp> ops_;
  std::vector<std::vector<float>> weights_;
  std::vector<std::vector<float>> inputs_;
  std::vector<std::vector<int>> labels_;
  std::vector<uint8_t> real_ = [] {
    std::vector<uint8_t> r(kRows, 1);
    r[3] = 0;
    return r;
  }();
};

}  // namespace vlq::quant::testing
