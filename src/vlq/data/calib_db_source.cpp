#include "vlq/data/calib_db_source.hpp"

#include <sqlite3.h>

#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "vlq/core/error.hpp"
#include "vlq/data/caption_text.hpp"

namespace vlq::data {

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbHandle = std::unique_ptr<sqlite3, DbCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

DbHandle open_read_only(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path, "file not found");
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, expected a SQLite database");
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    fail(path, std::string("cannot open SQLite database: ") +
                   (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  return db;
}

Statement prepare(sqlite3* db, const std::filesystem::path& path, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  Statement stmt(raw);
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_NOTADB) fail(path, "not a SQLite database");
    fail(path, std::string("SQLite error: ") + sqlite3_errmsg(db));
  }
  return stmt;
}

bool has_table(sqlite3* db, const std::filesystem::path& path, const char* table) {
  Statement stmt = prepare(db, path, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1");
  sqlite3_bind_text(stmt.get(), 1, table, -1, SQLITE_STATIC);
  int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (rc == SQLITE_NOTADB) fail(path, "not a SQLite database");
  fail(path, std::string("SQLite error: ") + sqlite3_errmsg(db));
}

std::string text_column(sqlite3_stmt* stmt, int column, const char* name, int64_t row_id,
                        const std::filesystem::path& path) {
  if (sqlite3_column_type(stmt, column) != SQLITE_TEXT) {
    fail(path, "row id " + std::to_string(row_id) + ": column " + name + " is not TEXT");
  }
  const auto* bytes = sqlite3_column_text(stmt, column);
  int size = sqlite3_column_bytes(stmt, column);
  std::string value(reinterpret_cast<const char*>(bytes), static_cast<size_t>(size));
  if (auto bad = find_invalid_utf8(value)) {
    fail(path, "row id " + std::to_string(row_id) + ": invalid UTF-8 in column " + name +
                   " at byte " + std::to_string(*bad + 1));
  }
  return value;
}

int64_t integer_column(sqlite3_stmt* stmt, int column, const char* name, int64_t row_id,
                       const std::filesystem::path& path) {
  if (sqlite3_column_type(stmt, column) != SQLITE_INTEGER) {
    fail(path, "row id " + std::to_string(row_id) + ": column " + name + " is not INTEGER");
  }
  return sqlite3_column_int64(stmt, column);
}

}  // namespace

SampleSet read_calib_db(const std::filesystem::path& path) {
  DbHandle db = open_read_only(path);
  if (!has_table(db.get(), path, kCalibTableName)) {
    fail(path, std::string("no table '") + kCalibTableName + "' (not a vlq calibration database)");
  }
  Statement stmt = prepare(db.get(), path,
                           "SELECT id, image_relpath, image_id, caption_id, caption "
                           "FROM vlm_calib_samples ORDER BY id");
  SampleSet set;
  set.files.push_back(path);
  std::set<std::tuple<int64_t, std::string, std::string>> seen;
  while (true) {
    int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) fail(path, std::string("SQLite error: ") + sqlite3_errmsg(db.get()));
    int64_t row_id = sqlite3_column_int64(stmt.get(), 0);
    Sample sample;
    sample.image_relpath = text_column(stmt.get(), 1, "image_relpath", row_id, path);
    sample.origin.image_id = integer_column(stmt.get(), 2, "image_id", row_id, path);
    sample.origin.caption_id = integer_column(stmt.get(), 3, "caption_id", row_id, path);
    sample.caption_raw = text_column(stmt.get(), 4, "caption", row_id, path);
    if (!seen.emplace(sample.origin.caption_id, sample.image_relpath, sample.caption_raw).second) {
      ++set.duplicates_dropped;
      continue;
    }
    sample.caption = std::string(strip_whitespace(sample.caption_raw));
    if (sample.caption.empty()) continue;
    sample.origin.file = path;
    sample.origin.row_id = row_id;
    set.samples.push_back(std::move(sample));
  }
  return set;
}

}  // namespace vlq::data
