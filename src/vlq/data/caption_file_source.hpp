#pragma once
// Captions `.txt`: one caption per line (the seed's format). Lines are split like Python's
// universal-newline text mode (\n, \r\n, \r), stripped like str.strip(), and empty lines are
// skipped. Invalid UTF-8 → vlq::Error "<file>: line N: invalid UTF-8 ..." (no replacement mode:
// a calibration set silently altered by U+FFFD would not be the set the user asked for).
#include <filesystem>

#include "vlq/data/sample.hpp"

namespace vlq::data {

SampleSet read_caption_file(const std::filesystem::path& path);

}  // namespace vlq::data
