#include "vlq/quant/plots.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <vector>

namespace vlq::quant {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

bool try_make_plots(const std::filesystem::path& dir, std::string& how) {
  std::vector<std::string> pythons;
  if (const char* env = std::getenv("VLQ_PYTHON")) pythons.emplace_back(env);
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && std::filesystem::exists(exe.parent_path() / "python"))
    pythons.push_back((exe.parent_path() / "python").string());
  pythons.emplace_back("python3");
  for (const auto& py : pythons) {
    const std::string cmd = quoted(py) + " -m vlq.report_plots " + quoted(dir.string()) + " >/dev/null 2>&1";
    int rc = std::system(cmd.c_str());
    if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0) return true;
  }
  how = "python -m vlq.report_plots " + quoted(dir.string()) + "   (needs the vlq package and matplotlib)";
  return false;
}

}  // namespace vlq::quant
