// Decoder behaviour on hand-computable inputs (expected values follow PIL's documented
// conversions, not vlq's output) and on bad input: every failure is a vlq::Error whose single
// line starts with the file name; nothing crashes (these tests also run under ASan/UBSan).
#include <gtest/gtest.h>

#include <string>

#include "test_images.hpp"
#include "vlq/core/error.hpp"
#include "vlq/vision/image_decoder.hpp"

namespace vlq::vision {
namespace {

using testing::encode_jpeg;
using testing::encode_png;
using testing::png_chunk;
using testing::TempDir;

// Runs decode_image_file and returns the error message (empty if it succeeded).
std::string decode_error(const std::filesystem::path& path) {
  try {
    decode_image_file(path);
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

void expect_one_line_error(const std::filesystem::path& path, const std::string& fragment) {
  const std::string message = decode_error(path);
  ASSERT_FALSE(message.empty()) << "expected an error for " << path;
  EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
}

TEST(ImageDecoder, GrayPngReplicatesToRgb) {
  TempDir dir;
  const auto p = dir.write("g.png", encode_png(3, 1, 8, 0, {std::string("\x00\x7f\xff", 3)}));
  const RgbImage im = decode_image_file(p);
  ASSERT_EQ(im.width, 3);
  ASSERT_EQ(im.height, 1);
  EXPECT_EQ(im.pixels, (std::vector<uint8_t>{0, 0, 0, 127, 127, 127, 255, 255, 255}));
}

TEST(ImageDecoder, Gray16PngClipsAt255LikePilI16ToRgb) {
  TempDir dir;
  // samples 0x0000, 0x00FE, 0x0100, 0xFFFF → PIL I;16 → RGB: 0, 254, 255, 255
  const auto p = dir.write("g16.png", encode_png(4, 1, 16, 0, {std::string("\x00\x00\x00\xfe\x01\x00\xff\xff", 8)}));
  const RgbImage im = decode_image_file(p);
  EXPECT_EQ(im.pixels, (std::vector<uint8_t>{0, 0, 0, 254, 254, 254, 255, 255, 255, 255, 255, 255}));
}

TEST(ImageDecoder, Rgb16PngKeepsHighByte) {
  TempDir dir;
  const auto p = dir.write("c16.png", encode_png(1, 1, 16, 2, {std::string("\x12\xff\xab\x01\x00\x80", 6)}));
  EXPECT_EQ(decode_image_file(p).pixels, (std::vector<uint8_t>{0x12, 0xab, 0x00}));
}

TEST(ImageDecoder, RgbaAndGrayAlphaDropAlpha) {
  TempDir dir;
  const auto rgba = dir.write("a.png", encode_png(1, 1, 8, 6, {std::string("\x0a\x14\x1e\x00", 4)}));
  EXPECT_EQ(decode_image_file(rgba).pixels, (std::vector<uint8_t>{10, 20, 30}));
  const auto la = dir.write("la.png", encode_png(1, 1, 8, 4, {std::string("\x2a\x00", 2)}));
  EXPECT_EQ(decode_image_file(la).pixels, (std::vector<uint8_t>{42, 42, 42}));
}

TEST(ImageDecoder, PaletteIgnoresTransparency) {
  TempDir dir;
  const std::string plte = png_chunk("PLTE", std::string("\x01\x02\x03\xfa\xfb\xfc", 6));
  const std::string trns = png_chunk("tRNS", std::string("\x00", 1));
  const auto p = dir.write("p.png", encode_png(2, 1, 8, 3, {std::string("\x01\x00", 2)}, plte + trns));
  EXPECT_EQ(decode_image_file(p).pixels, (std::vector<uint8_t>{250, 251, 252, 1, 2, 3}));
}

TEST(ImageDecoder, LowBitGrayIsScaled) {
  TempDir dir;
  // 2-bit samples 0,1,2,3 packed in one byte → 0, 85, 170, 255 (PIL "L;2").
  const auto p = dir.write("g2.png", encode_png(4, 1, 2, 0, {std::string("\x1b", 1)}));
  EXPECT_EQ(decode_image_file(p).pixels,
            (std::vector<uint8_t>{0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255}));
}

TEST(ImageDecoder, JpegGrayAndRgbDecode) {
  TempDir dir;
  const auto gray = dir.write("g.jpg", encode_jpeg(16, 8, 1, {128}));
  const RgbImage g = decode_image_file(gray);
  ASSERT_EQ(g.width, 16);
  ASSERT_EQ(g.height, 8);
  for (uint8_t v : g.pixels) EXPECT_NEAR(v, 128, 1);  // flat field survives the DCT
  const auto rgb = dir.write("c.jpg", encode_jpeg(8, 8, 3, {200, 40, 90}));
  const RgbImage c = decode_image_file(rgb);
  EXPECT_NEAR(c.pixels[0], 200, 3);
  EXPECT_NEAR(c.pixels[1], 40, 3);
  EXPECT_NEAR(c.pixels[2], 90, 3);
}

TEST(ImageDecoder, CmykJpegUsesPilsInvertedAdobeRule) {
  TempDir dir;
  // Stored (Adobe-inverted) samples c,m,y,k = 255,255,255,255 mean "no ink" → white; stored k = 0
  // means full black → black, whatever the inks.
  const auto white = dir.write("w.jpg", encode_jpeg(8, 8, 4, {255, 255, 255, 255}));
  for (uint8_t v : decode_image_file(white).pixels) EXPECT_GE(v, 254);
  const auto black = dir.write("k.jpg", encode_jpeg(8, 8, 4, {255, 255, 255, 0}));
  for (uint8_t v : decode_image_file(black).pixels) EXPECT_LE(v, 1);
}

TEST(ImageDecoderErrors, ZeroByteFile) {
  TempDir dir;
  expect_one_line_error(dir.write("empty.jpg", ""), "empty file");
}

TEST(ImageDecoderErrors, TextFileNamedJpg) {
  TempDir dir;
  expect_one_line_error(dir.write("notes.jpg", "hello, I am not a picture\n"), "not a JPEG or PNG");
}

TEST(ImageDecoderErrors, MissingFile) {
  TempDir dir;
  const std::string message = decode_error(dir.path() / "absent.png");
  EXPECT_NE(message.find("absent.png"), std::string::npos);
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(ImageDecoderErrors, TruncatedJpegAtEveryLength) {
  TempDir dir;
  const std::string full = encode_jpeg(64, 48, 3, {1, 50, 99, 148, 197, 246, 30});
  ASSERT_NO_THROW(decode_image_file(dir.write("full.jpg", full)));
  // Cut inside the headers, inside the entropy-coded data and just before EOI.
  for (size_t cut : {size_t{3}, size_t{20}, size_t{200}, full.size() / 2, full.size() - 2}) {
    expect_one_line_error(dir.write("cut.jpg", full.substr(0, cut)), "JPEG");
  }
}

TEST(ImageDecoderErrors, CorruptJpegMarker) {
  TempDir dir;
  std::string bytes = encode_jpeg(32, 32, 3, {10, 20, 30});
  bytes[3] = '\x01';  // APP0 marker → an invalid marker code right after SOI
  bytes[2] = '\xFF';
  const std::string message = decode_error(dir.write("bad.jpg", bytes));
  // libjpeg may or may not reject this particular damage; it must never crash, and if it
  // rejects, the message is one line naming the file.
  if (!message.empty()) {
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

TEST(ImageDecoderErrors, JpegHeaderClaimingHugeSizeIsRefusedBeforeDecoding) {
  TempDir dir;
  std::string bytes = encode_jpeg(16, 16, 3, {9});
  // Patch the SOF0 frame header (FF C0, length, precision, height, width) to 65000×65000.
  const size_t sof = bytes.find("\xFF\xC0");
  ASSERT_NE(sof, std::string::npos);
  bytes[sof + 5] = static_cast<char>(0xFD);
  bytes[sof + 6] = static_cast<char>(0xE8);
  bytes[sof + 7] = static_cast<char>(0xFD);
  bytes[sof + 8] = static_cast<char>(0xE8);
  expect_one_line_error(dir.write("bomb.jpg", bytes), "decompression bomb");
}

TEST(ImageDecoderErrors, PngHeaderClaiming100kBy100kIsRefusedBeforeDecoding) {
  TempDir dir;
  expect_one_line_error(dir.write("bomb.png", encode_png(100000, 100000, 8, 2, {std::string(3, 'x')})),
                        "decompression bomb");
}

TEST(ImageDecoderErrors, TruncatedAndCorruptPng) {
  TempDir dir;
  std::vector<std::string> rows(40, std::string(3 * 50, '\x33'));
  const std::string full = encode_png(50, 40, 8, 2, rows);
  ASSERT_NO_THROW(decode_image_file(dir.write("ok.png", full)));
  for (size_t cut : {size_t{8}, size_t{20}, size_t{40}, full.size() - 20}) {
    expect_one_line_error(dir.write("cut.png", full.substr(0, cut)), "PNG");
  }
  std::string flipped = full;
  flipped[full.find("IDAT") + 10] ^= 0x55;  // CRC mismatch in a critical chunk
  expect_one_line_error(dir.write("crc.png", flipped), "PNG");
  std::string bad_depth = encode_png(4, 4, 3, 2, std::vector<std::string>(4, std::string(12, 'a')));
  expect_one_line_error(dir.write("depth.png", bad_depth), "PNG");
}

TEST(ImageDecoderErrors, DecodeFromMemoryNamesTheOrigin) {
  const std::vector<std::byte> junk(10, std::byte{0xFF});
  try {
    decode_image(junk, "inline-bytes");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("inline-bytes: ", 0), 0u) << e.what();
  }
}

}  // namespace
}  // namespace vlq::vision
