#pragma once
// The checkpoint `vlq demo` runs on: the user's (--model DIR), or a small random Qwen2.5-VL
// generated once (fixed seed) into a content-addressed cache directory, with the data root's
// tokenizer / chat template / preprocessor files beside it so it is a complete HF checkpoint.
// The real 3B weights are not needed (nor available on most machines) to show the pipeline.
#include <filesystem>
#include <optional>
#include <string>

namespace vlq::cli {

struct DemoModel {
  std::filesystem::path dir;
  bool random = false;     // the generated demo model, not a real checkpoint
  bool generated = false;  // written by this run (else reused from the cache)
  std::string summary;     // one line: sizes, dtype, seed, parameter count
};

// Files copied next to the random weights (those present in the data root's model directory).
inline constexpr const char* kDemoCompanionFiles[] = {
    "vocab.json", "merges.txt", "tokenizer_config.json", "tokenizer.json", "chat_template.json",
    "preprocessor_config.json", "generation_config.json"};

// $XDG_CACHE_HOME/vlq, else $HOME/.cache/vlq, else ./.vlq-cache.
std::filesystem::path default_cache_dir();

// Where the random demo model for `reference_dir` (the data root's qwen2_5_vl_3b_instruct, whose
// config.json supplies the token ids and whose tokenizer files are copied) lives under
// `cache_dir`: demo-model-<sha256 of generator format, config, spec and companion files>.
std::filesystem::path random_demo_model_dir(const std::filesystem::path& cache_dir,
                                            const std::filesystem::path& reference_dir);

// `model_flag` set → that directory (must hold config.json). Else the random demo model,
// generated if not cached yet.
DemoModel resolve_demo_model(const std::optional<std::string>& model_flag,
                             const std::filesystem::path& reference_dir,
                             const std::filesystem::path& cache_dir);

}  // namespace vlq::cli
