#include "vlq/vision/jpeg_decoder.hpp"

// libjpeg's headers need size_t / FILE declared first.
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>  // JWRN_JPEG_EOF

#include "vlq/core/error.hpp"
#include "vlq/vision/image_decoder.hpp"

namespace vlq::vision {
namespace {

// libjpeg reports fatal errors through error_exit, which must not return. Unwinding a C++
// exception through libjpeg's C frames is undefined, so error_exit longjmps back into
// run_libjpeg(), whose frame holds only trivially destructible objects (so skipping them is
// well-defined); the message is carried out in a fixed buffer and turned into vlq::Error there.
struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
  bool truncated;
};

extern "C" void on_error_exit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings: libjpeg pads a truncated stream with a fake EOI and carries on (JWRN_JPEG_EOF); PIL
// reports "image file is truncated" instead, so that warning is fatal here. Other warnings
// (extraneous bytes before a marker, …) are tolerated by PIL and so are ignored here too.
extern "C" void on_emit_message(j_common_ptr cinfo, int msg_level) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  if (msg_level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
}

enum class Layout { kGray, kRgb, kCmyk };

struct HeaderInfo {
  JDIMENSION width = 0;
  JDIMENSION height = 0;
  int components = 0;
};

// Decodes into `raw` (components bytes per pixel). Returns false with err.message set on
// failure. Only trivially destructible locals live in this frame (see ErrorManager), and the
// libjpeg state lives in the caller's frame: objects modified between setjmp and longjmp must
// not be locals of the setjmp frame.
bool run_libjpeg(const unsigned char* data, unsigned long size, std::vector<uint8_t>& raw,
                 std::vector<JSAMPROW>& rows, HeaderInfo& info, jpeg_decompress_struct& cinfo,
                 ErrorManager& err, const char*& refusal) {
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = on_error_exit;
  err.pub.emit_message = on_emit_message;
  err.truncated = false;
  err.message[0] = '\0';
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  info.width = cinfo.image_width;
  info.height = cinfo.image_height;
  info.components = cinfo.num_components;
  // Refuse before jpeg_start_decompress allocates anything proportional to the image.
  if (static_cast<int64_t>(info.width) * info.height > kMaxImagePixels) {
    refusal = "decompression bomb";
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  // PIL maps 1 → L, 3 → RGB, 4 → CMYK (libjpeg turns YCCK into CMYK) and refuses the rest.
  switch (cinfo.num_components) {
    case 1: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo.out_color_space = JCS_RGB; break;
    case 4: cinfo.out_color_space = JCS_CMYK; break;
    default:
      refusal = "unsupported JPEG component count";
      jpeg_destroy_decompress(&cinfo);
      return false;
  }
  jpeg_start_decompress(&cinfo);
  const size_t stride = size_t{cinfo.output_width} * cinfo.output_components;
  raw.resize(stride * cinfo.output_height);
  rows.resize(cinfo.output_height);
  for (JDIMENSION y = 0; y < cinfo.output_height; ++y) rows[y] = raw.data() + stride * y;
  // All remaining rows are offered at once: libjpeg then hands out a whole row group per call
  // (2 rows for 4:2:0) straight into the image instead of going through its one-row spare buffer.
  while (cinfo.output_scanline < cinfo.output_height) {
    jpeg_read_scanlines(&cinfo, rows.data() + cinfo.output_scanline,
                        cinfo.output_height - cinfo.output_scanline);
    if (err.truncated) break;
  }
  if (!err.truncated) jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (err.truncated) {
    std::strcpy(err.message, "image file is truncated");
    return false;
  }
  return true;
}

// Pillow's CMYK → RGB (Convert.c cmyk2rgb): rgb = nk − nk·cmy/255 with nk = 255 − k and the
// rounding division (t + (t >> 8)) >> 8, t = a·b + 128. PIL reads every JPEG CMYK as Adobe-
// inverted ("CMYK;I"), so the stored samples are inverted first.
uint8_t cmyk_channel_to_rgb(uint8_t stored_ink, uint8_t stored_black) {
  const int ink = 255 - stored_ink;
  const int not_black = stored_black;  // 255 − (255 − stored_black)
  const int t = ink * not_black + 128;
  const int v = not_black - (((t >> 8) + t) >> 8);
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

}  // namespace

RgbImage decode_jpeg(std::span<const std::byte> encoded, const std::filesystem::path& origin) {
  std::vector<uint8_t> raw;
  std::vector<JSAMPROW> rows;
  HeaderInfo info;
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  const char* refusal = nullptr;
  const bool ok = run_libjpeg(reinterpret_cast<const unsigned char*>(encoded.data()),
                              static_cast<unsigned long>(encoded.size()), raw, rows, info, cinfo,
                              err, refusal);
  if (refusal != nullptr) {
    fail(origin, std::string(refusal) + ": " + std::to_string(info.width) + "x" +
                     std::to_string(info.height) + " JPEG (" + std::to_string(info.components) +
                     " components; limit " + std::to_string(kMaxImagePixels) + " pixels)");
  }
  if (!ok) fail(origin, std::string("corrupt JPEG: ") + err.message);

  RgbImage image;
  image.width = info.width;
  image.height = info.height;
  const size_t pixels = size_t{info.width} * info.height;
  if (info.components == 3) {
    image.pixels = std::move(raw);
    return image;
  }
  image.pixels.resize(pixels * 3);
  uint8_t* out = image.pixels.data();
  if (info.components == 1) {
    for (size_t i = 0; i < pixels; ++i, out += 3) out[0] = out[1] = out[2] = raw[i];
  } else {
    const uint8_t* in = raw.data();
    for (size_t i = 0; i < pixels; ++i, in += 4, out += 3) {
      out[0] = cmyk_channel_to_rgb(in[0], in[3]);
      out[1] = cmyk_channel_to_rgb(in[1], in[3]);
      out[2] = cmyk_channel_to_rgb(in[2], in[3]);
    }
  }
  return image;
}

}  // namespace vlq::vision
