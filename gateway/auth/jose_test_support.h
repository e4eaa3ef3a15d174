// Test-only: keys generated with OpenSSL, their public JWKs, and compact JWS
// signed with them, so tests sign tokens the way a SMART client would.
#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/auth/jose.h"

namespace gw::auth::testing {

inline std::string bn_param(EVP_PKEY* pkey, const char* name, size_t pad) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) std::abort();
  const size_t size = pad != 0 ? pad : static_cast<size_t>(BN_num_bytes(bn));
  std::string out(size, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size));
  BN_free(bn);
  return out;
}

struct TestKey {
  std::shared_ptr<EVP_PKEY> pkey;
  JwsAlg alg = JwsAlg::kES384;
  std::string kid;

  // An EC key on the curve of `alg`, or an RSA key of `rsa_bits`.
  static TestKey generate(JwsAlg alg, std::string kid, unsigned rsa_bits = 2048) {
    TestKey k;
    k.alg = alg;
    k.kid = std::move(kid);
    EVP_PKEY* p = nullptr;
    if (alg == JwsAlg::kES256) p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (alg == JwsAlg::kES384) p = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    if (alg == JwsAlg::kRS256 || alg == JwsAlg::kRS384) {
      p = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
    }
    if (p == nullptr) std::abort();
    k.pkey = std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free);
    return k;
  }

  bool is_ec() const { return alg == JwsAlg::kES256 || alg == JwsAlg::kES384; }
  size_t coordinate_size() const { return alg == JwsAlg::kES384 ? 48 : 32; }

  // The public JWK as a JSON object; `extra` is inserted as more members
  // (",\"use\":\"sig\"").
  std::string public_jwk(std::string_view extra = "", bool with_alg = true) const {
    std::string out = "{\"kid\":\"" + kid + "\"";
    if (with_alg) out += ",\"alg\":\"" + std::string(jws_alg_name(alg)) + "\"";
    if (is_ec()) {
      out += ",\"kty\":\"EC\",\"crv\":\"";
      out += alg == JwsAlg::kES384 ? "P-384" : "P-256";
      out += "\",\"x\":\"" +
             base64url_encode(bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, coordinate_size()));
      out += "\",\"y\":\"" +
             base64url_encode(bn_param(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, coordinate_size()));
    } else {
      out += ",\"kty\":\"RSA\",\"n\":\"" +
             base64url_encode(bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_N, 0));
      out += "\",\"e\":\"" + base64url_encode(bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, 0));
    }
    out += "\"";
    out += extra;
    out += "}";
    return out;
  }

  // OpenSSL's signature over `input`: DER for ECDSA, PKCS#1 v1.5 for RSA.
  std::string raw_sign(std::string_view input, bool sha384) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    if (EVP_DigestSignInit_ex(ctx, nullptr, sha384 ? "SHA384" : "SHA256", nullptr, nullptr,
                              pkey.get(), nullptr) != 1 ||
        EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) != 1) {
      std::abort();
    }
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
      std::abort();
    }
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return sig;
  }

  // JWS signature bytes: r||s for ECDSA (RFC 7518 §3.4).
  std::string jws_signature(std::string_view input) const {
    const bool sha384 = alg == JwsAlg::kES384 || alg == JwsAlg::kRS384;
    std::string sig = raw_sign(input, sha384);
    if (!is_ec()) return sig;
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    if (es == nullptr) std::abort();
    std::string out(2 * coordinate_size(), '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    const int n = static_cast<int>(coordinate_size());
    BN_bn2binpad(ECDSA_SIG_get0_r(es), o, n);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), o + n, n);
    ECDSA_SIG_free(es);
    return out;
  }

  // A compact JWS of `header_json` and `payload`, signed with this key.
  std::string sign(std::string_view header_json, std::string_view payload) const {
    const std::string input = base64url_encode(header_json) + "." + base64url_encode(payload);
    return input + "." + base64url_encode(jws_signature(input));
  }
  // The usual header: {"alg":..., "kid":..., "typ":"JWT"}.
  std::string header() const {
    return "{\"alg\":\"" + std::string(jws_alg_name(alg)) + "\",\"kid\":\"" + kid +
           "\",\"typ\":\"JWT\"}";
  }
};

inline std::string jwks_of(std::initializer_list<std::string> jwks) {
  std::string out = "{\"keys\":[";
  bool first = true;
  for (const std::string& k : jwks) {
    if (!first) out += ",";
    out += k;
    first = false;
  }
  return out + "]}";
}

}  // namespace gw::auth::testing
