#pragma once
// PNG plots are drawn by matplotlib (`python -m vlq.report_plots DIR`, python/vlq/report_plots.py)
// rather than a hand-written PNG renderer. This runs it if a Python with the vlq package is
// found ($VLQ_PYTHON, the python next to the running executable, then python3) and otherwise
// returns the command to run by hand.
#include <filesystem>
#include <string>

namespace vlq::quant {

// true: plots written. false: `how` holds the command that would make them.
bool try_make_plots(const std::filesystem::path& dir, std::string& how);

}  // namespace vlq::quant
