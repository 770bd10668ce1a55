// Sources: the real COCO files (counts documented in shared/data/PROVENANCE.md) and bad input.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "data_test_support.hpp"
#include "vlq/core/error.hpp"
#include "vlq/data/calib_db_source.hpp"
#include "vlq/data/caption_file_source.hpp"
#include "vlq/data/coco_json_source.hpp"
#include "vlq/data/jsonl_source.hpp"
#include "vlq/data/sample_source.hpp"

namespace fs = std::filesystem;
using namespace vlq::data;
namespace ts = vlq::data::test_support;
using vlq::data::test_support::error_of;
using vlq::data::test_support::scratch_dir;
using vlq::data::test_support::write_bytes;

TEST(CaptionFile, RealCaptionsHave4096StrippedLines) {
  const SampleSet set = read_caption_file(ts::calib_dir() / "coco2017_captions.txt");
  ASSERT_EQ(set.samples.size(), 4096u);
  EXPECT_EQ(set.samples.front().origin.line, 1);
  EXPECT_EQ(set.samples.back().origin.line, 4096);
  for (const Sample& s : set.samples) EXPECT_EQ(s.caption, s.caption_raw);  // file is pre-stripped
}

TEST(CaptionFile, SplitsUniversalNewlinesStripsAndSkipsEmptyLines) {
  const fs::path dir = scratch_dir("caption_newlines");
  const SampleSet set = read_caption_file(write_bytes(dir / "c.txt", "  one \r\n\r\n two\rthree\n\n   \nfour"));
  ASSERT_EQ(set.samples.size(), 4u);
  EXPECT_EQ(set.samples[0].caption, "one");
  EXPECT_EQ(set.samples[0].caption_raw, "  one ");
  EXPECT_EQ(set.samples[1].caption, "two");
  EXPECT_EQ(set.samples[1].origin.line, 3);
  EXPECT_EQ(set.samples[2].caption, "three");
  EXPECT_EQ(set.samples[2].origin.line, 4);
  EXPECT_EQ(set.samples[3].caption, "four");
  EXPECT_EQ(set.samples[3].origin.line, 7);
}

TEST(CaptionFile, InvalidUtf8NamesFileAndLine) {
  const fs::path file = write_bytes(scratch_dir("caption_utf8") / "bad.txt", "fine\nalso fine\nbad \xFF byte\n");
  EXPECT_EQ(error_of([&] { read_caption_file(file); }),
            file.string() + ": line 3: invalid UTF-8 at byte 5 of the line");
}

TEST(CaptionFile, MissingFileNamesIt) {
  EXPECT_EQ(error_of([] { read_caption_file("/nonexistent/captions.txt"); }),
            "/nonexistent/captions.txt: file not found");
}

TEST(CalibDb, MainDbDropsThe4096RepeatedRows) {
  const SampleSet set = read_calib_db(ts::calib_dir() / "coco2017_vlm_calib.db");
  EXPECT_EQ(set.duplicates_dropped, 4096);
  ASSERT_EQ(set.samples.size(), 4096u);
  EXPECT_EQ(set.samples.front().origin.row_id, 1);
  EXPECT_EQ(set.samples.back().origin.row_id, 4096);
}

TEST(CalibDb, RowIMatchesCaptionLineI) {
  const SampleSet db = read_calib_db(ts::calib_dir() / "coco2017_vlm_calib.db");
  const SampleSet txt = read_caption_file(ts::calib_dir() / "coco2017_captions.txt");
  ASSERT_EQ(db.samples.size(), txt.samples.size());
  for (size_t i = 0; i < db.samples.size(); ++i) ASSERT_EQ(db.samples[i].caption, txt.samples[i].caption) << i;
}

TEST(CalibDb, SmallDbHasNoDuplicates) {
  const SampleSet set = read_calib_db(ts::calib_dir() / "coco2017_vlm_calib_small.db");
  EXPECT_EQ(set.samples.size(), 16u);
  EXPECT_EQ(set.duplicates_dropped, 0);
}

TEST(CalibDb, NotADatabaseIsAOneLineError) {
  const fs::path file = write_bytes(scratch_dir("db_notadb") / "x.db", std::string(4096, 'x'));
  EXPECT_EQ(error_of([&] { read_calib_db(file); }), file.string() + ": not a SQLite database");
}

TEST(CalibDb, MissingTableIsAOneLineError) {
  const fs::path file = scratch_dir("db_notable") / "empty.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE other(x INTEGER)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(error_of([&] { read_calib_db(file); }),
            file.string() + ": no table 'vlm_calib_samples' (not a vlq calibration database)");
}

TEST(CalibDb, MissingFileNamesIt) {
  EXPECT_EQ(error_of([] { read_calib_db("/nonexistent/calib.db"); }), "/nonexistent/calib.db: file not found");
}

TEST(Jsonl, RealEvalFileHas100RowsWithImageIds) {
  const SampleSet set = read_jsonl_file(ts::calib_dir() / "coco2017_vlm_eval_100.jsonl");
  ASSERT_EQ(set.samples.size(), 100u);
  EXPECT_EQ(set.samples[0].image_relpath, "train2017/000000448463.jpg");
  EXPECT_EQ(set.samples[0].origin.image_id, 448463);
}

TEST(Jsonl, MalformedLineNamesFileAndLine) {
  const fs::path file =
      write_bytes(scratch_dir("jsonl_bad") / "e.jsonl", "{\"caption\": \"ok\"}\n\n{\"caption\": \"oops\"\n");
  EXPECT_EQ(error_of([&] { read_jsonl_file(file); }), file.string() + ": line 3: malformed JSON");
}

TEST(Jsonl, MissingCaptionNamesFileAndLine) {
  const fs::path file = write_bytes(scratch_dir("jsonl_nocap") / "e.jsonl", "{\"text\": \"ok\"}\n");
  EXPECT_EQ(error_of([&] { read_jsonl_file(file); }), file.string() + ": line 1: missing string field \"caption\"");
}

TEST(CocoJson, RealValCaptions) {
  const SampleSet set = read_coco_captions_json(ts::data_root() / "coco2017_annotations" / "captions_val2017.json");
  EXPECT_EQ(set.samples.size(), 25014u);
  EXPECT_EQ(set.duplicates_dropped, 0);
  EXPECT_EQ(set.samples[0].image_relpath.rfind("val2017/", 0), 0u);
}

TEST(CocoJson, MalformedJsonNamesFile) {
  const fs::path file = write_bytes(scratch_dir("coco_bad") / "captions_x.json", "{\"images\": [");
  const std::string message = error_of([&] { read_coco_captions_json(file); });
  EXPECT_EQ(message.rfind(file.string() + ": malformed JSON", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(Images, MissingImageErrorsByDefaultAndCountsWhenSkipped) {
  SourceSpec spec{SourceKind::kCalibDb, ts::calib_dir() / "coco2017_vlm_calib.db", true,
                  ts::data_root() / "coco2017_images", MissingImagePolicy::kError};
  const std::string message = error_of([&] { load_samples(spec); });
  EXPECT_NE(message.find(": image not found ("), std::string::npos) << message;
  spec.missing_images = MissingImagePolicy::kSkip;
  const SampleSet set = load_samples(spec);
  EXPECT_EQ(set.samples.size(), 7u);  // PROVENANCE: 7 of the 8 real images are in the DB
  EXPECT_EQ(set.missing_images_skipped, 4096 - 7);
}
