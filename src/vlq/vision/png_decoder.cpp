#include "vlq/vision/png_decoder.hpp"

#include <array>
#include <csetjmp>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <png.h>

#include "vlq/core/error.hpp"
#include "vlq/vision/image_decoder.hpp"

namespace vlq::vision {
namespace {

// libpng reports fatal errors through png_error, which must not return; unwinding a C++
// exception through libpng's C frames is undefined, so it longjmps back into run_libpng(), whose
// frame holds only trivially destructible objects. Everything mutated between setjmp and longjmp
// lives in the caller's PngSession.
struct PngSession {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const unsigned char* data = nullptr;
  size_t size = 0;
  size_t offset = 0;
  char message[256] = {};
  const char* refusal = nullptr;
  png_uint_32 width = 0;
  png_uint_32 height = 0;
  int bit_depth = 0;
  int color_type = 0;
  std::array<uint8_t, 256 * 3> palette{};  // unused entries stay black, as in PIL's padded palette
};

extern "C" void on_png_error(png_structp png, png_const_charp message) {
  auto* session = static_cast<PngSession*>(png_get_error_ptr(png));
  std::strncpy(session->message, message, sizeof(session->message) - 1);
  png_longjmp(png, 1);
}

// Ancillary-chunk problems (bad iCCP profile, …) are warnings; PIL decodes such files, so do we.
extern "C" void on_png_warning(png_structp, png_const_charp) {}

extern "C" void read_from_memory(png_structp png, png_bytep out, size_t length) {
  auto* session = static_cast<PngSession*>(png_get_io_ptr(png));
  if (length > session->size - session->offset) png_error(png, "image file is truncated");
  std::memcpy(out, session->data + session->offset, length);
  session->offset += length;
}

// Phase 1: signature and header up to the first IDAT. Fills the session's dimensions and palette
// and sets session.refusal for images over the pixel limit (before anything is allocated for
// them). Returns false on failure.
bool read_png_header(PngSession& s) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_set_read_fn(s.png, &s, read_from_memory);
  png_set_benign_errors(s.png, 1);
  // vlq applies its own pixel limit below; lift libpng's 1M-per-side default so that the
  // refusal message is ours and consistent.
  png_set_user_limits(s.png, 0x7fffffff, 0x7fffffff);
  png_read_info(s.png, s.info);
  s.width = png_get_image_width(s.png, s.info);
  s.height = png_get_image_height(s.png, s.info);
  s.bit_depth = png_get_bit_depth(s.png, s.info);
  s.color_type = png_get_color_type(s.png, s.info);
  if (static_cast<int64_t>(s.width) * s.height > kMaxImagePixels) {
    s.refusal = "decompression bomb";
    return false;
  }
  if (s.color_type == PNG_COLOR_TYPE_PALETTE) {
    png_colorp entries = nullptr;
    int count = 0;
    if (png_get_PLTE(s.png, s.info, &entries, &count) != PNG_INFO_PLTE) {
      png_error(s.png, "palette image without PLTE chunk");
    }
    for (int i = 0; i < count && i < 256; ++i) {
      s.palette[3 * i] = entries[i].red;
      s.palette[3 * i + 1] = entries[i].green;
      s.palette[3 * i + 2] = entries[i].blue;
    }
  }
  // No colour transforms from libpng (its palette/tRNS expansion can add alpha); only unpack
  // sub-byte samples to one byte each. The conversion to RGB is done afterwards, as PIL does it.
  if (s.bit_depth < 8) png_set_packing(s.png);
  png_set_interlace_handling(s.png);
  png_read_update_info(s.png, s.info);
  return true;
}

// Phase 2: all rows (de-interlaced) into the caller's buffers.
bool read_png_rows(PngSession& s, png_bytepp row_pointers) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  png_read_image(s.png, row_pointers);
  return true;
}

// Destroys the libpng structures whatever happens (RAII over the C API).
struct PngStructs {
  PngSession& s;
  ~PngStructs() { png_destroy_read_struct(&s.png, &s.info, nullptr); }
};

int channels_of(int color_type) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_PALETTE: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 0;
  }
}

// PIL's readings of each PNG colour type, followed by convert("RGB"):
//   gray 1/2/4-bit → modes "1"/"L;2"/"L;4": scaled to 0…255 (×255, ×85, ×17);
//   gray 16-bit    → mode "I;16"; I;16 → RGB clips at 255 (values ≥ 256 become 255);
//   RGB/RGBA/LA 16-bit → rawmodes "RGB;16B"/"RGBA;16B"/"LA;16B": the high byte of each sample;
//   alpha (LA, RGBA) is dropped, tRNS is ignored, palette indices map through PLTE.
void convert_row(const PngSession& s, const uint8_t* in, uint8_t* out) {
  const bool wide = s.bit_depth == 16;
  const size_t channels = channels_of(s.color_type);
  const size_t sample_bytes = wide ? 2 : 1;
  const size_t pixel_bytes = channels * sample_bytes;
  for (png_uint_32 x = 0; x < s.width; ++x, in += pixel_bytes, out += 3) {
    switch (s.color_type) {
      case PNG_COLOR_TYPE_GRAY: {
        uint8_t v;
        if (wide) {
          const unsigned value = (unsigned{in[0]} << 8) | in[1];
          v = static_cast<uint8_t>(value > 255 ? 255 : value);
        } else {
          static constexpr uint8_t kScale[9] = {0, 255, 85, 0, 17, 0, 0, 0, 1};
          v = static_cast<uint8_t>(in[0] * kScale[s.bit_depth]);
        }
        out[0] = out[1] = out[2] = v;
        break;
      }
      case PNG_COLOR_TYPE_PALETTE: {
        const uint8_t* colour = &s.palette[3 * size_t{in[0]}];
        out[0] = colour[0];
        out[1] = colour[1];
        out[2] = colour[2];
        break;
      }
      case PNG_COLOR_TYPE_GRAY_ALPHA:
        out[0] = out[1] = out[2] = in[0];
        break;
      default:  // RGB, RGBA: first three samples, high byte when 16-bit
        out[0] = in[0];
        out[1] = in[sample_bytes];
        out[2] = in[2 * sample_bytes];
        break;
    }
  }
}

}  // namespace

RgbImage decode_png(std::span<const std::byte> encoded, const std::filesystem::path& origin) {
  PngSession s;
  s.data = reinterpret_cast<const unsigned char*>(encoded.data());
  s.size = encoded.size();
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, on_png_error, on_png_warning);
  if (s.png == nullptr) fail(origin, "cannot initialise libpng");
  PngStructs guard{s};
  s.info = png_create_info_struct(s.png);
  if (s.info == nullptr) fail(origin, "cannot initialise libpng");

  if (!read_png_header(s)) {
    if (s.refusal != nullptr) {
      fail(origin, std::string(s.refusal) + ": " + std::to_string(s.width) + "x" +
                       std::to_string(s.height) + " PNG (limit " +
                       std::to_string(kMaxImagePixels) + " pixels)");
    }
    fail(origin, std::string("corrupt PNG: ") + s.message);
  }
  const size_t row_bytes = png_get_rowbytes(s.png, s.info);
  const size_t channels = channels_of(s.color_type);
  if (channels == 0 || row_bytes < size_t{s.width} * channels * (s.bit_depth == 16 ? 2 : 1)) {
    fail(origin, "corrupt PNG: unexpected row layout");
  }
  std::vector<uint8_t> samples(row_bytes * s.height);
  std::vector<png_bytep> row_pointers(s.height);
  for (png_uint_32 y = 0; y < s.height; ++y) row_pointers[y] = samples.data() + row_bytes * y;
  if (!read_png_rows(s, row_pointers.data())) {
    fail(origin, std::string("corrupt PNG: ") + s.message);
  }

  RgbImage image;
  image.width = s.width;
  image.height = s.height;
  image.pixels.resize(size_t{s.width} * s.height * 3);
  for (png_uint_32 y = 0; y < s.height; ++y) {
    convert_row(s, row_pointers[y], image.pixels.data() + size_t{s.width} * 3 * y);
  }
  return image;
}

}  // namespace vlq::vision
