#include "gateway/auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <utility>

namespace gw::auth {
namespace {

struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bld = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;

// What a key's members decide before any cryptography.
enum class Verdict { kUse, kSkip };

Status key_error(size_t index, std::string_view message) {
  return invalid_argument_error("jwks: key " + std::to_string(index) + ": " + std::string(message));
}

// Builds a public key of `type` ("EC", "RSA") from `bld`'s parameters and has
// OpenSSL check it (an EC point on the curve, an RSA modulus that is odd...).
Result<VerifyKey> key_from_params(const char* type, OSSL_PARAM_BLD* bld, size_t index) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return key_error(index, std::string(type) + " public key is not valid");
  }
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  const bool valid = check && EVP_PKEY_public_check(check.get()) == 1;
  ERR_clear_error();
  if (!valid) {
    EVP_PKEY_free(pkey);
    return key_error(index, std::string(type) + " public key fails OpenSSL's check");
  }
  auto key = VerifyKey::adopt(pkey);
  if (!key.ok()) return key_error(index, key.error().message());
  return key;
}

Result<std::string> member_bytes(const fhir::JsonValue& jwk, std::string_view name, size_t index) {
  const fhir::JsonValue* v = jwk.find(name);
  if (v == nullptr || !v->is_string()) {
    return key_error(index, "member '" + std::string(name) + "' is missing");
  }
  auto bytes = base64url_decode(v->text(), name);
  if (!bytes.ok()) return key_error(index, "member '" + std::string(name) + "' is not base64url");
  return bytes;
}

Result<VerifyKey> ec_key(const fhir::JsonValue& jwk, const std::string& crv, size_t index) {
  const size_t size = crv == "P-384" ? 48 : 32;
  GW_ASSIGN_OR_RETURN(std::string x, member_bytes(jwk, "x", index));
  GW_ASSIGN_OR_RETURN(std::string y, member_bytes(jwk, "y", index));
  // RFC 7518 §6.2.1.2: the coordinates are the full size of the curve.
  if (x.size() != size || y.size() != size) {
    return key_error(index, "x and y must be " + std::to_string(size) + " bytes for " + crv);
  }
  const std::string point = std::string(1, '\x04') + x + y;  // uncompressed SEC1
  Bld bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, crv.c_str(), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return internal_error("jwks: out of memory");
  }
  return key_from_params("EC", bld.get(), index);
}

Result<VerifyKey> rsa_key(const fhir::JsonValue& jwk, size_t index) {
  GW_ASSIGN_OR_RETURN(std::string n, member_bytes(jwk, "n", index));
  GW_ASSIGN_OR_RETURN(std::string e, member_bytes(jwk, "e", index));
  // Bound before building numbers: 8192 bits of modulus, a 64-bit exponent.
  if (n.size() > 1024) return key_error(index, "RSA modulus is longer than 8192 bits");
  if (e.empty() || e.size() > 8) return key_error(index, "RSA exponent is not 1 to 8 bytes");
  std::unique_ptr<BIGNUM, BnFree> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                                                 static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                                                 static_cast<int>(e.size()), nullptr));
  Bld bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return internal_error("jwks: out of memory");
  }
  return key_from_params("RSA", bld.get(), index);
}

// `use` and `key_ops` (RFC 7517 §4.2, 4.3): a key meant for something else
// than verifying signatures is not ours to use.
Result<Verdict> usage(const fhir::JsonValue& jwk, size_t index) {
  if (const fhir::JsonValue* use = jwk.find("use")) {
    if (!use->is_string()) return key_error(index, "member 'use' is not a string");
    if (use->text() != "sig") return Verdict::kSkip;
  }
  if (const fhir::JsonValue* ops = jwk.find("key_ops")) {
    if (!ops->is_array()) return key_error(index, "member 'key_ops' is not an array");
    bool verify = false;
    for (const fhir::JsonValue& op : ops->items()) {
      if (!op.is_string()) return key_error(index, "member 'key_ops' holds a non-string");
      verify = verify || op.text() == "verify";
    }
    if (!verify) return Verdict::kSkip;
  }
  return Verdict::kUse;
}

}  // namespace

Result<Jwks> Jwks::parse(std::string_view json) {
  fhir::JsonParseOptions options;
  options.max_input_bytes = kMaxDocumentBytes;
  options.max_depth = 4;  // the set, "keys", a key, its key_ops or x5c
  options.max_object_members = 64;
  options.max_array_items = 64;
  options.max_string_bytes = 16 * 1024;
  options.max_values = 4096;
  auto doc = fhir::parse_json(json, options);
  if (!doc.ok())
    return invalid_argument_error("jwks: not acceptable JSON: " + doc.error().to_string());
  const fhir::JsonValue* keys = doc->is_object() ? doc->find("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    return invalid_argument_error("jwks: not a JSON object with a 'keys' array");
  }
  if (keys->items().size() > kMaxKeys) {
    return invalid_argument_error("jwks: more than " + std::to_string(kMaxKeys) + " keys");
  }
  Jwks out;
  for (size_t i = 0; i < keys->items().size(); ++i) {
    const fhir::JsonValue& jwk = keys->items()[i];
    if (!jwk.is_object()) return key_error(i, "not a JSON object");
    for (std::string_view secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      if (jwk.find(secret) != nullptr) {
        return key_error(i, "holds private member '" + std::string(secret) +
                                "': this is a private key, treat it as disclosed and replace it");
      }
    }
    const fhir::JsonValue* kty = jwk.find("kty");
    if (kty == nullptr || !kty->is_string()) return key_error(i, "member 'kty' is missing");
    std::string crv;
    if (kty->text() == "EC") {
      const fhir::JsonValue* c = jwk.find("crv");
      if (c == nullptr || !c->is_string()) return key_error(i, "member 'crv' is missing");
      crv = c->text();
      if (crv != "P-256" && crv != "P-384") {
        ++out.skipped_;
        continue;
      }
    } else if (kty->text() != "RSA") {
      ++out.skipped_;
      continue;
    }
    GW_ASSIGN_OR_RETURN(Verdict verdict, usage(jwk, i));
    std::optional<JwsAlg> alg;
    if (const fhir::JsonValue* a = jwk.find("alg")) {
      if (!a->is_string()) return key_error(i, "member 'alg' is not a string");
      auto parsed = parse_jws_alg(a->text());
      if (!parsed.ok()) verdict = Verdict::kSkip;  // PS384, EdDSA...: not ours
      if (parsed.ok()) alg = *parsed;
    }
    if (verdict == Verdict::kSkip) {
      ++out.skipped_;
      continue;
    }
    Jwk key;
    if (crv.empty()) {
      GW_ASSIGN_OR_RETURN(key.key, rsa_key(jwk, i));
    } else {
      GW_ASSIGN_OR_RETURN(key.key, ec_key(jwk, crv, i));
    }
    if (alg && !key.key.fits(*alg)) {
      return key_error(i, "alg " + std::string(jws_alg_name(*alg)) + " does not fit the key");
    }
    key.alg = alg;
    const fhir::JsonValue* kid = jwk.find("kid");
    if (kid == nullptr || !kid->is_string() || kid->text().empty() || kid->text().size() > 256) {
      return key_error(i, "member 'kid' is missing (or not a string of 1 to 256 bytes)");
    }
    key.kid = kid->text();
    for (const Jwk& other : out.keys_) {
      if (other.kid == key.kid) return key_error(i, "its kid is not unique in the set");
    }
    out.keys_.push_back(std::move(key));
  }
  return out;
}

Result<Jwks> Jwks::load_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found_error("jwks: cannot read " + file.string());
  std::string text;
  text.resize(kMaxDocumentBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxDocumentBytes) {
    return invalid_argument_error("jwks: " + file.string() + " is larger than " +
                                  std::to_string(kMaxDocumentBytes) + " bytes");
  }
  auto jwks = parse(text);
  if (!jwks.ok()) return jwks.error().with_context(file.string());
  return jwks;
}

Result<const Jwk*> Jwks::select(std::string_view kid, JwsAlg alg) const {
  if (kid.empty()) return unauthenticated_error("jws: header member 'kid' is missing");
  for (const Jwk& key : keys_) {
    if (key.kid != kid) continue;
    if ((key.alg && *key.alg != alg) || !key.key.fits(alg)) {
      return unauthenticated_error("jws: alg " + std::string(jws_alg_name(alg)) +
                                   " does not fit the key named by 'kid'");
    }
    return &key;
  }
  return unauthenticated_error("jws: no configured key has the header's 'kid'");
}

}  // namespace gw::auth
