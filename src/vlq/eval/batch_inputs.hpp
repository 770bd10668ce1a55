#pragma once
// The adapter between the data layer's collated Batch and the model's ModelInputs (the model
// does not know about data::Batch; eval does). Views only: the Batch must outlive the inputs.
#include "vlq/data/batch.hpp"
#include "vlq/model/qwen2_5_vl.hpp"

namespace vlq::eval {

// Inconsistent sizes (ids vs mask vs labels vs positions) → vlq::Error naming the field.
model::ModelInputs model_inputs(const data::Batch& batch);

}  // namespace vlq::eval
