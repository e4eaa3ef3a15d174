// A client's public keys as a JWKS document (RFC 7517 §5), read from the file
// the operator configured for a SMART Backend Services client.
//
// Accepted keys: kty "EC" (crv P-256 / P-384, x and y of the curve's full
// size, the point on the curve) and kty "RSA" (n of 2048..8192 bits, e), for
// signature verification. What the document may say about a key is honoured:
// `use` other than "sig" or `key_ops` without "verify" makes a key unusable
// here, and `alg` pins it to one algorithm.
//
// Refused as a whole (the operator must fix the file): not a JSON object with
// a "keys" array, a key carrying private members (d, p, q, dp, dq, qi, oth, k:
// someone pasted a private key, which must now be treated as disclosed), a
// supported key that is malformed, an `alg` that does not fit its key type,
// two usable keys with one `kid` (SMART requires kids unique within a set),
// a usable key without `kid` (SMART's assertion header must name it).
// Skipped and counted (RFC 7517 §5: ignore what is not understood): keys of
// other types or curves, keys for encryption, keys pinned to an algorithm we
// do not support.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/auth/jose.h"
#include "gateway/base/status.h"

namespace gw::auth {

struct Jwk {
  std::string kid;
  std::optional<JwsAlg> alg;  // pinned by the document, or any that fits the key
  VerifyKey key;
};

class Jwks {
 public:
  static constexpr size_t kMaxDocumentBytes = 64 * 1024;
  static constexpr size_t kMaxKeys = 32;

  // Parses a JWKS document (see the header comment for what is refused).
  static Result<Jwks> parse(std::string_view json);
  // Reads and parses a file of at most kMaxDocumentBytes. Errors name the
  // file's path (operator configuration, not patient data).
  static Result<Jwks> load_file(const std::filesystem::path& file);

  // The key a token signed with `alg` under `kid` must verify with.
  // unauthenticated: no kid, no key with that kid, or the key does not fit
  // `alg` (its type, curve or pinned alg). The kid is not echoed.
  Result<const Jwk*> select(std::string_view kid, JwsAlg alg) const;

  const std::vector<Jwk>& keys() const { return keys_; }
  // Keys of the document that were not understood and ignored (for a
  // warning when the configuration is loaded).
  size_t skipped() const { return skipped_; }

 private:
  std::vector<Jwk> keys_;
  size_t skipped_ = 0;
};

}  // namespace gw::auth
