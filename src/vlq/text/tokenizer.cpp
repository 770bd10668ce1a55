#include "vlq/text/tokenizer.hpp"

#include <algorithm>
#include <unordered_map>

#include "vlq/core/error.hpp"
#include "vlq/text/added_token_matcher.hpp"
#include "vlq/text/bpe.hpp"
#include "vlq/text/byte_level.hpp"
#include "vlq/text/pretokenizer.hpp"
#include "vlq/text/sha256.hpp"
#include "vlq/text/token_cache.hpp"
#include "vlq/text/tokenizer_files.hpp"
#include "vlq/text/utf8.hpp"

namespace vlq::text {
namespace {

// Single-character tokens are at most 2 UTF-8 bytes in the byte alphabet, so one pass over the
// vocab with a cheap length filter finds all 256 without building another index.
std::array<int32_t, 256> byte_token_ids(const std::vector<std::string>& vocab, const std::filesystem::path& dir) {
  std::array<int32_t, 256> ids;
  ids.fill(-1);
  for (size_t id = 0; id < vocab.size(); ++id) {
    const std::string& text = vocab[id];
    if (text.empty() || text.size() > 2) continue;
    auto bytes = token_text_to_bytes(text);
    if (bytes && bytes->size() == 1 && ids[static_cast<unsigned char>((*bytes)[0])] < 0)
      ids[static_cast<unsigned char>((*bytes)[0])] = static_cast<int32_t>(id);
  }
  for (unsigned b = 0; b < 256; ++b)
    if (ids[b] < 0) fail(dir, "vocab lacks the byte-level token for byte " + std::to_string(b));
  return ids;
}

// Stable over runs and machines: hashes the tables in id/rank order, not any file's layout.
std::string fingerprint_of(const TokenizerFiles& files) {
  Sha256 h;
  h.update("vlq-qwen2-bpe-v1\n");
  for (size_t id = 0; id < files.vocab.size(); ++id) {
    h.update(std::to_string(id));
    h.update("\t");
    h.update(files.vocab[id]);
    h.update("\n");
  }
  for (const Merge& m : files.merges)
    h.update(std::to_string(m.left) + " " + std::to_string(m.right) + "\n");
  for (const AddedToken& t : files.added_tokens) {
    h.update(std::to_string(t.id) + "\t" + (t.special ? "special\t" : "plain\t"));
    h.update(t.content);
    h.update("\n");
  }
  h.update("pad\t" + files.pad_token.value_or("") + "\neos\t" + files.eos_token.value_or("") + "\n");
  return h.hex_digest();
}

}  // namespace

struct Tokenizer::Impl {
  Impl(const TokenizerFiles& files, const std::filesystem::path& dir)
      : bpe(byte_token_ids(files.vocab, dir), files.merges),
        added(files.added_tokens.begin(), files.added_tokens.end()),
        matcher(files.added_tokens),
        fingerprint(fingerprint_of(files)) {
    std::sort(added.begin(), added.end(), [](const AddedToken& a, const AddedToken& b) { return a.id < b.id; });
    size_t id_space = files.vocab.size();
    for (const AddedToken& t : added) id_space = std::max(id_space, static_cast<size_t>(t.id) + 1);
    decode_bytes.resize(id_space);
    known.assign(id_space, false);
    special.assign(id_space, false);
    token_text.resize(id_space);
    to_id.reserve(files.vocab.size() + added.size());
    for (size_t id = 0; id < files.vocab.size(); ++id) {
      token_text[id] = files.vocab[id];
      set_decode_bytes(id, files.vocab[id]);
      known[id] = true;
      to_id.emplace(files.vocab[id], static_cast<TokenId>(id));
    }
    for (const AddedToken& t : added) {
      token_text[static_cast<size_t>(t.id)] = t.content;
      set_decode_bytes(static_cast<size_t>(t.id), t.content);
      known[static_cast<size_t>(t.id)] = true;
      special[static_cast<size_t>(t.id)] = t.special;
      to_id.insert_or_assign(t.content, t.id);
    }
    vocab_size = to_id.size();
    auto resolve = [&](const std::optional<std::string>& token, const char* what) -> std::optional<TokenId> {
      if (!token) return std::nullopt;
      auto it = to_id.find(*token);
      if (it == to_id.end()) fail(files.config_path, std::string(what) + " '" + *token + "' is not a known token");
      return it->second;
    };
    pad_id = resolve(files.pad_token, "pad_token");
    eos_id = resolve(files.eos_token, "eos_token");
  }

  // HF's ByteLevel decoder maps a token's characters back to bytes, and keeps the token's own
  // UTF-8 when any character is outside the byte alphabet.
  void set_decode_bytes(size_t id, const std::string& text) {
    auto bytes = token_text_to_bytes(text);
    decode_bytes[id] = bytes ? std::move(*bytes) : text;
  }

  // A plain segment is the text between two added tokens. Short ones are memoised whole: chat
  // templates repeat the same segments ("system\nYou are a helpful assistant.", "assistant\n")
  // in every prompt, and their ids do not depend on the neighbouring special tokens.
  void encode_plain(std::string_view segment, std::vector<TokenId>& out) const {
    if (segment.empty()) return;
    const bool memoise = segment.size() <= kMaxMemoisedSegmentBytes;
    if (memoise && segments.lookup(segment, out)) return;
    const size_t start = out.size();
    thread_local std::string normalized_storage;
    const std::string_view normalized = nfc(segment, normalized_storage);
    thread_local std::vector<std::string_view> pieces;
    pieces.clear();
    split_qwen2_pieces(normalized, pieces);
    for (std::string_view piece : pieces) bpe.encode_piece(piece, out);
    if (memoise) segments.store(segment, std::span(out).subspan(start));
  }

  static constexpr size_t kMaxMemoisedSegmentBytes = 64;
  TokenCache segments{1 << 16, /*admit_repeats_only=*/true};

  Bpe bpe;
  std::vector<AddedToken> added;
  AddedTokenMatcher matcher;
  std::string fingerprint;
  std::vector<std::string> decode_bytes;
  std::vector<std::string> token_text;
  std::vector<bool> known;
  std::vector<bool> special;
  std::unordered_map<std::string, TokenId> to_id;
  size_t vocab_size = 0;
  std::optional<TokenId> pad_id;
  std::optional<TokenId> eos_id;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_directory(const std::filesystem::path& dir) {
  return Tokenizer(std::make_unique<Impl>(read_tokenizer_files(dir), dir));
}

std::vector<TokenId> Tokenizer::encode(std::string_view utf8) const {
  std::vector<TokenId> ids;
  ids.reserve(utf8.size() / 3 + 8);
  encode_append(utf8, ids);
  return ids;
}

void Tokenizer::encode_append(std::string_view utf8, std::vector<TokenId>& out) const {
  if (auto bad = find_invalid_utf8(utf8)) fail("invalid UTF-8 at byte " + std::to_string(*bad));
  size_t pos = 0;
  while (pos < utf8.size()) {
    auto match = impl_->matcher.find(utf8, pos);
    if (!match) break;
    impl_->encode_plain(utf8.substr(pos, match->begin - pos), out);
    out.push_back(match->id);
    pos = match->begin + match->length;
  }
  impl_->encode_plain(utf8.substr(pos), out);
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool skip_special_tokens) const {
  std::string bytes;
  for (TokenId id : ids) {
    const auto index = static_cast<size_t>(id);
    if (id < 0 || index >= impl_->known.size() || !impl_->known[index])
      fail("decode: token id " + std::to_string(id) + " is not in the vocabulary");
    if (skip_special_tokens && impl_->special[index]) continue;
    bytes += impl_->decode_bytes[index];
  }
  return decode_utf8_lossy(bytes);
}

std::optional<TokenId> Tokenizer::token_to_id(std::string_view token) const {
  auto it = impl_->to_id.find(std::string(token));
  if (it == impl_->to_id.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Tokenizer::id_to_token(TokenId id) const {
  const auto index = static_cast<size_t>(id);
  if (id < 0 || index >= impl_->known.size() || !impl_->known[index]) return std::nullopt;
  return impl_->token_text[index];
}

size_t Tokenizer::size() const { return impl_->vocab_size; }

TokenId Tokenizer::pad_token_id() const {
  if (!impl_->pad_id) fail("tokenizer has no pad_token");
  return *impl_->pad_id;
}

TokenId Tokenizer::eos_token_id() const {
  if (!impl_->eos_id) fail("tokenizer has no eos_token");
  return *impl_->eos_id;
}

std::span<const AddedToken> Tokenizer::added_tokens() const { return impl_->added; }

const std::string& Tokenizer::fingerprint() const { return impl_->fingerprint; }

}  // namespace vlq::text
