#pragma once
// SHA-256 (OpenSSL libcrypto) as lowercase hex: identifies chat-template texts and gives the
// tokenizer a stable fingerprint for dataset manifests.
#include <string>
#include <string_view>

namespace vlq::text {

class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();
  void update(std::string_view bytes);
  std::string hex_digest();  // finishes the hash; call once

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so this header does not pull in OpenSSL
};

std::string sha256_hex(std::string_view bytes);

}  // namespace vlq::text
