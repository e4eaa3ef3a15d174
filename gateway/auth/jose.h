// JWS (RFC 7515) in compact serialization, as SMART Backend Services client
// assertions use it: parse a token, and verify its signature with a public key.
//
// Threat model: every byte of a token comes from an unauthenticated peer.
//  - Sizes are bounded before any decoding (JwsLimits); the header and the
//    claims are parsed by fhir/json (iterative, duplicate member names refused,
//    depth bounded).
//  - Only asymmetric algorithms are accepted (ES256, ES384, RS256, RS384).
//    `none`, HS*, PS* and anything unknown are refused by name, and the
//    algorithm must match the key's type and curve (the classic confusion
//    attack verifies an HS256 "MAC" keyed with the public key's bytes).
//  - `crit` is refused outright: we understand no extension, so RFC 7515
//    §4.1.11 says we must reject any token that marks one critical.
//  - Errors name the part and the rule broken; they never echo token bytes.
//
// OpenSSL 3 EVP calls only; no OpenSSL type appears here but the opaque
// evp_pkey_st, held by VerifyKey.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "gateway/base/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace gw::auth {

enum class JwsAlg : uint8_t { kES256, kES384, kRS256, kRS384 };

// "ES384", ...
std::string_view jws_alg_name(JwsAlg alg);
// The JwsAlg named `name`; an error naming the family for `none`, HS*, PS*
// and anything else (the name itself is echoed only if it is short and
// shaped like an algorithm name).
Result<JwsAlg> parse_jws_alg(std::string_view name);

// Strict base64url without padding (RFC 7515 §2): '=' , whitespace and
// non-zero trailing bits are refused. `what` names the part in the error.
Result<std::string> base64url_decode(std::string_view text, std::string_view what);
std::string base64url_encode(std::string_view bytes);

struct JwsLimits {
  size_t max_token_bytes = 8 * 1024;    // the whole compact token
  size_t max_header_bytes = 1024;       // the decoded protected header
  size_t max_payload_bytes = 4 * 1024;  // the decoded payload
  size_t max_json_depth = 4;            // header and claims: an object, arrays in it
  size_t max_json_members = 64;         // members of the header or the claims
};

// A parsed, NOT yet verified token. Nothing in it may be trusted before
// verify_jws() succeeds (unverified_string_claim() says so in its name).
struct ParsedJws {
  JwsAlg alg = JwsAlg::kES384;
  std::string kid;            // empty when the header has none
  std::string typ;            // empty when the header has none
  std::string signing_input;  // ASCII(BASE64URL(header) '.' BASE64URL(payload))
  std::string payload;        // decoded payload bytes
  std::string signature;      // decoded signature bytes
};

// Splits, decodes and checks the header. Refuses: oversize, not exactly three
// parts, bad base64url, header not a JSON object (or duplicate members), a
// missing or refused `alg`, `crit`, `jku`/`x5u`/`jwk`/`x5c` (keys named by the
// token itself: we only trust keys the operator configured), a `b64` member
// (RFC 7797 unencoded payloads), non-string `kid`/`typ`, an empty signature.
Result<ParsedJws> parse_jws(std::string_view compact, const JwsLimits& limits = {});

// The payload parsed as a JWT claims set: a JSON object, bounded by `limits`.
Result<fhir::JsonValue> parse_jwt_claims(std::string_view payload, const JwsLimits& limits = {});

// A public key fit to verify JWS signatures: EC on P-256 or P-384, or RSA with
// a modulus of 2048 to 8192 bits (the upper bound keeps a hostile JWKS from
// making each verification expensive). Cheap to copy (shared, immutable).
class VerifyKey {
 public:
  enum class Kind : uint8_t { kEcP256, kEcP384, kRsa };

  // Takes ownership of `pkey` (freed on error too) and checks it as above.
  static Result<VerifyKey> adopt(evp_pkey_st* pkey);

  Kind kind() const { return kind_; }
  int bits() const { return bits_; }
  // True if a signature made with `alg` can come from this key.
  bool fits(JwsAlg alg) const;
  const evp_pkey_st* pkey() const { return pkey_.get(); }

 private:
  std::shared_ptr<evp_pkey_st> pkey_;
  Kind kind_ = Kind::kRsa;
  int bits_ = 0;
};

// Verifies the signature of `jws` with `key`. Refuses (unauthenticated) an
// algorithm that does not fit the key, an ECDSA signature that is not exactly
// r||s of the curve's size (2x32 or 2x48 bytes), an RSA signature not of the
// modulus' size, and a signature that does not verify.
Status verify_jws(const ParsedJws& jws, const VerifyKey& key);

}  // namespace gw::auth
