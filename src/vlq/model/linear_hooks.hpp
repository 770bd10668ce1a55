#pragma once
// Hook points around every quantizable op (each nn.Linear of the language model and the vision
// tower). Ops are named exactly like the Hugging Face module (e.g.
// "model.layers.3.mlp.down_proj", "visual.blocks.0.attn.qkv", "lm_head"), so quantization plans
// and sensitivity reports map 1:1 onto INC op_name_dict and transformers modules.
// The model owns forward; the quantization layer implements LinearInterceptor to observe
// activations (calibration), fake-quantize inputs/weights, or measure per-op output error.
#include <cstdint>
#include <span>
#include <string>

namespace vlq::model {

enum class Tower { kLanguage, kVision };

struct LinearOp {
  std::string name;        // HF module name, legacy spelling ("model.layers.N...", "visual...")
  Tower tower = Tower::kLanguage;
  int layer = -1;          // decoder layer / vision block index; -1 for lm_head / merger
  std::string kind;        // q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj,
                           // qkv, proj, merger.mlp.0, merger.mlp.2, lm_head
  int64_t in_features = 0;
  int64_t out_features = 0;
  bool has_bias = false;
};

// Activations are row-major [rows, features] in fp32. `row_is_real[r]` is 0 for padding rows
// (observers must skip them); it is empty when every row is real (vision tower).
struct ActivationView {
  std::span<float> values;
  int64_t rows = 0;
  int64_t features = 0;
  std::span<const uint8_t> row_is_real;
};

class LinearInterceptor {
 public:
  virtual ~LinearInterceptor() = default;
  // Before the matmul. May read (observe) or modify (fake-quantize) the input in place.
  virtual void before(const LinearOp& /*op*/, ActivationView /*input*/) {}
  // The weight the op should use: `weight` ([out, in] fp32, converted from the checkpoint) or a
  // replacement owned by the interceptor that stays valid until the next call for this op.
  virtual std::span<const float> weight(const LinearOp& /*op*/, std::span<const float> weight) {
    return weight;
  }
  // False promises that weight() would return its argument unchanged for this op: the model
  // then skips widening the whole stored weight to fp32 for weight() (and does not call it) and
  // streams the stored weight through the matmul. The output is bit-identical either way.
  virtual bool replaces_weight(const LinearOp& /*op*/) const { return true; }
  // After the matmul (bias added). May observe or modify the output in place.
  virtual void after(const LinearOp& /*op*/, ActivationView /*output*/) {}
};

}  // namespace vlq::model
