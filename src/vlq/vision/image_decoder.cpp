#include "vlq/vision/image_decoder.hpp"

#include <cstring>

#include "vlq/core/error.hpp"
#include "vlq/core/file_io.hpp"
#include "vlq/vision/jpeg_decoder.hpp"
#include "vlq/vision/png_decoder.hpp"

namespace vlq::vision {
namespace {

bool starts_with(std::span<const std::byte> bytes, const char* magic, size_t length) {
  return bytes.size() >= length && std::memcmp(bytes.data(), magic, length) == 0;
}

}  // namespace

RgbImage decode_image(std::span<const std::byte> encoded, const std::filesystem::path& origin) {
  // Sniff the content like PIL's Image.open does; the file extension is not trusted.
  if (encoded.empty()) fail(origin, "empty file, not an image");
  if (starts_with(encoded, "\xFF\xD8\xFF", 3)) return decode_jpeg(encoded, origin);
  if (starts_with(encoded, "\x89PNG\r\n\x1A\n", 8)) return decode_png(encoded, origin);
  fail(origin, "not a JPEG or PNG image (unrecognised signature)");
}

RgbImage decode_image_file(const std::filesystem::path& path) {
  const std::string contents = read_file(path);
  return decode_image(std::as_bytes(std::span(contents.data(), contents.size())), path);
}

}  // namespace vlq::vision
