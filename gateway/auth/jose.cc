#include "gateway/auth/jose.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <array>
#include <utility>

#include "gateway/crypto/base64.h"

namespace gw::auth {
namespace {

// A name we may repeat in an error: short and shaped like an algorithm name,
// so a token cannot smuggle content into logs through its `alg`.
bool reportable_name(std::string_view s) {
  if (s.empty() || s.size() > 16) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

Status refuse(std::string message) { return unauthenticated_error("jws: " + std::move(message)); }

fhir::JsonParseOptions json_limits(size_t max_bytes, const JwsLimits& limits) {
  fhir::JsonParseOptions o;
  o.max_input_bytes = max_bytes;
  o.max_depth = limits.max_json_depth;
  o.max_object_members = limits.max_json_members;
  o.max_array_items = limits.max_json_members;
  o.max_string_bytes = max_bytes;
  o.max_values = 4 * limits.max_json_members;
  return o;
}

// An optional string member of the header: absent -> empty, present -> a
// string of at most `max` bytes.
Result<std::string> optional_string(const fhir::JsonValue& header, std::string_view name,
                                    size_t max) {
  const fhir::JsonValue* v = header.find(name);
  if (v == nullptr) return std::string();
  if (!v->is_string() || v->text().empty() || v->text().size() > max) {
    return refuse("header member '" + std::string(name) + "' must be a string of 1 to " +
                  std::to_string(max) + " bytes");
  }
  return v->text();
}

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// JWS carries ECDSA signatures as r||s, each the curve's size (RFC 7518
// §3.4); OpenSSL verifies DER. An empty string means the conversion failed.
std::string ecdsa_raw_to_der(std::string_view raw) {
  const size_t half = raw.size() / 2;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  std::unique_ptr<BIGNUM, BnFree> r(BN_bin2bn(p, static_cast<int>(half), nullptr));
  std::unique_ptr<BIGNUM, BnFree> s(BN_bin2bn(p + half, static_cast<int>(half), nullptr));
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  (void)r.release();  // owned by sig now
  (void)s.release();
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace

std::string_view jws_alg_name(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::kES256:
      return "ES256";
    case JwsAlg::kES384:
      return "ES384";
    case JwsAlg::kRS256:
      return "RS256";
    case JwsAlg::kRS384:
      return "RS384";
  }
  return "?";
}

Result<JwsAlg> parse_jws_alg(std::string_view name) {
  if (name == "ES256") return JwsAlg::kES256;
  if (name == "ES384") return JwsAlg::kES384;
  if (name == "RS256") return JwsAlg::kRS256;
  if (name == "RS384") return JwsAlg::kRS384;
  if (name == "none") return refuse("alg 'none' is refused: the token is not signed");
  if (name.substr(0, 2) == "HS") {
    return refuse("HMAC algorithms (HS*) are refused: a public key is not a shared secret");
  }
  if (reportable_name(name)) return refuse("alg '" + std::string(name) + "' is not supported");
  return refuse("alg is not supported");
}

Result<std::string> base64url_decode(std::string_view text, std::string_view what) {
  // One spelling per byte string (crypto/base64.h says why libsodium alone
  // is not enough; jose_fuzz found it).
  auto bytes = crypto::base64_decode(text, crypto::Base64::kUrlSafeNoPadding);
  if (!bytes) return refuse(std::string(what) + " is not base64url without padding");
  return std::string(bytes->begin(), bytes->end());
}

std::string base64url_encode(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<ParsedJws> parse_jws(std::string_view compact, const JwsLimits& limits) {
  if (compact.size() > limits.max_token_bytes) {
    return refuse("token is larger than " + std::to_string(limits.max_token_bytes) + " bytes");
  }
  const size_t dot1 = compact.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos) {
    return refuse("token is not three dot-separated parts (compact serialization)");
  }
  const std::string_view header64 = compact.substr(0, dot1);
  const std::string_view payload64 = compact.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature64 = compact.substr(dot2 + 1);
  // base64 grows by 4/3: check before decoding so no large buffer is made.
  if (header64.size() > (limits.max_header_bytes * 4 + 2) / 3) {
    return refuse("header is larger than " + std::to_string(limits.max_header_bytes) + " bytes");
  }
  if (payload64.size() > (limits.max_payload_bytes * 4 + 2) / 3) {
    return refuse("payload is larger than " + std::to_string(limits.max_payload_bytes) + " bytes");
  }
  if (signature64.empty()) return refuse("signature is empty");

  ParsedJws out;
  GW_ASSIGN_OR_RETURN(std::string header_json, base64url_decode(header64, "header"));
  GW_ASSIGN_OR_RETURN(out.payload, base64url_decode(payload64, "payload"));
  GW_ASSIGN_OR_RETURN(out.signature, base64url_decode(signature64, "signature"));

  auto header = fhir::parse_json(header_json, json_limits(limits.max_header_bytes, limits));
  if (!header.ok()) return refuse("header is not acceptable JSON: " + header.error().to_string());
  if (!header->is_object()) return refuse("header is not a JSON object");
  if (header->find("crit") != nullptr) {
    return refuse("header member 'crit' is refused: no extension is understood");
  }
  for (std::string_view name : {"jku", "x5u", "jwk", "x5c"}) {
    if (header->find(name) != nullptr) {
      return refuse("header member '" + std::string(name) +
                    "' is refused: keys come from the configured JWKS only");
    }
  }
  if (header->find("b64") != nullptr) {
    return refuse("header member 'b64' is refused: unencoded payloads are not supported");
  }
  const fhir::JsonValue* alg = header->find("alg");
  if (alg == nullptr || !alg->is_string()) return refuse("header member 'alg' is missing");
  GW_ASSIGN_OR_RETURN(out.alg, parse_jws_alg(alg->text()));
  GW_ASSIGN_OR_RETURN(out.kid, optional_string(*header, "kid", 256));
  GW_ASSIGN_OR_RETURN(out.typ, optional_string(*header, "typ", 64));
  out.signing_input = std::string(compact.substr(0, dot2));
  return out;
}

Result<fhir::JsonValue> parse_jwt_claims(std::string_view payload, const JwsLimits& limits) {
  auto claims = fhir::parse_json(payload, json_limits(limits.max_payload_bytes, limits));
  if (!claims.ok()) return refuse("claims are not acceptable JSON: " + claims.error().to_string());
  if (!claims->is_object()) return refuse("claims are not a JSON object");
  return std::move(claims).value();
}

Result<VerifyKey> VerifyKey::adopt(evp_pkey_st* pkey) {
  if (pkey == nullptr) return invalid_argument_error("jwk: no key");
  VerifyKey key;
  key.pkey_ = std::shared_ptr<evp_pkey_st>(pkey, EVP_PKEY_free);
  key.bits_ = EVP_PKEY_get_bits(pkey);
  const int id = EVP_PKEY_get_base_id(pkey);
  if (id == EVP_PKEY_EC) {
    std::array<char, 64> group{};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                       &len) != 1) {
      ERR_clear_error();
      return invalid_argument_error("jwk: EC key without a named curve");
    }
    const std::string_view name(group.data(), len);
    if (name == "prime256v1" || name == "P-256") {
      key.kind_ = Kind::kEcP256;
    } else if (name == "secp384r1" || name == "P-384") {
      key.kind_ = Kind::kEcP384;
    } else {
      return invalid_argument_error("jwk: EC curve is not P-256 or P-384");
    }
    return key;
  }
  if (id == EVP_PKEY_RSA) {
    if (key.bits_ < 2048) return invalid_argument_error("jwk: RSA key is shorter than 2048 bits");
    if (key.bits_ > 8192) return invalid_argument_error("jwk: RSA key is longer than 8192 bits");
    key.kind_ = Kind::kRsa;
    return key;
  }
  return invalid_argument_error("jwk: key type is neither EC nor RSA");
}

bool VerifyKey::fits(JwsAlg alg) const {
  switch (alg) {
    case JwsAlg::kES256:
      return kind_ == Kind::kEcP256;
    case JwsAlg::kES384:
      return kind_ == Kind::kEcP384;
    case JwsAlg::kRS256:
    case JwsAlg::kRS384:
      return kind_ == Kind::kRsa;
  }
  return false;
}

Status verify_jws(const ParsedJws& jws, const VerifyKey& key) {
  if (key.pkey() == nullptr) return internal_error("jws: verify with an empty key");
  if (!key.fits(jws.alg)) {
    return refuse("alg " + std::string(jws_alg_name(jws.alg)) + " does not fit the key's type");
  }
  const bool sha384 = jws.alg == JwsAlg::kES384 || jws.alg == JwsAlg::kRS384;
  std::string der;
  std::string_view signature = jws.signature;
  if (key.kind() == VerifyKey::Kind::kRsa) {
    if (static_cast<int>(signature.size()) != EVP_PKEY_get_size(key.pkey())) {
      return refuse("RSA signature is not the size of the key's modulus");
    }
  } else {
    const size_t want = key.kind() == VerifyKey::Kind::kEcP384 ? 96 : 64;
    if (signature.size() != want) {
      return refuse("ECDSA signature is not " + std::to_string(want) + " bytes (r||s)");
    }
    der = ecdsa_raw_to_der(signature);
    if (der.empty()) return internal_error("jws: could not convert an ECDSA signature");
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return internal_error("jws: out of memory");
  // EVP_DigestVerifyInit_ex takes a non-const key but does not modify it.
  auto* pkey = const_cast<EVP_PKEY*>(key.pkey());
  if (EVP_DigestVerifyInit_ex(ctx.get(), nullptr, sha384 ? "SHA384" : "SHA256", nullptr, nullptr,
                              pkey, nullptr) != 1) {
    ERR_clear_error();
    return internal_error("jws: could not start a signature verification");
  }
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(jws.signing_input.data()), jws.signing_input.size());
  ERR_clear_error();  // a failed verification leaves entries nobody reads
  if (rc != 1) return refuse("signature does not verify");
  return ok_status();
}

}  // namespace gw::auth
