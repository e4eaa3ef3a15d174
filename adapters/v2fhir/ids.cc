#include "adapters/v2fhir/ids.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace gw::v2fhir {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void append_escaped(unsigned char c, std::string& out) {
  static const char kHex[] = "0123456789ABCDEF";
  out.push_back('%');
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 15]);
}

}  // namespace

std::string deterministic_uuid(std::string_view text) {
  // Fetched once: an implicit fetch per call (EVP_sha256()) costs more than
  // hashing these short keys. The context is reused per thread.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                                      EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (kSha256 == nullptr || ctx == nullptr || EVP_DigestInit_ex(ctx.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), text.data(), text.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1 || len < 16) {
    std::abort();  // only on an OpenSSL failure, never on input
  }
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);
  static const char kHex[] = "0123456789abcdef";
  char text_out[36];
  char* p = text_out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[digest[i] >> 4];
    *p++ = kHex[digest[i] & 15];
  }
  return std::string(text_out, sizeof text_out);
}

std::string urn_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      append_escaped(c, out);
    }
  }
  return out;
}

std::string token_query(std::string_view param, std::string_view system, std::string_view value) {
  // Runs of characters that pass unchanged (nearly all of a system URI or an
  // identifier) are appended at once.
  auto add = [](std::string_view text, std::string& out) {
    size_t run = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (unreserved(c) || c == ':' || c == '/') continue;
      out.append(text, run, i - run);
      run = i + 1;
      if (c == '\\' || c == '|' || c == ',' || c == '$') append_escaped('\\', out);
      append_escaped(c, out);
    }
    out.append(text, run, text.size() - run);
  };
  std::string out;
  out.reserve(param.size() + system.size() + value.size() + 8);
  out.append(param);
  out.push_back('=');
  add(system, out);
  out.push_back('|');
  add(value, out);
  return out;
}

}  // namespace gw::v2fhir
