#include "gateway/auth/jose.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <string>

#include "gateway/auth/jose_test_support.h"
#include "gateway/auth/jwks.h"

namespace gw::auth {
namespace {

using testing::TestKey;

// RFC 7515 Appendix A.3: ES256 with the P-256 key of A.3.1.
constexpr const char* kA3Jwks = R"({"keys":[{"kty":"EC","crv":"P-256","kid":"a3",)"
                                R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                                R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";
constexpr const char* kA3Token =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// RFC 7515 Appendix A.2: RS256 with the 2048-bit RSA key of A.2.1.
constexpr const char* kA2Jwks = R"({"keys":[{"kty":"RSA","kid":"a2","e":"AQAB","n":")"
                                "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
                                "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
                                "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
                                "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
                                "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
                                "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\"}]}";
constexpr const char* kA2Token =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"
    "O8W2Fp5jujGb"
    "ds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
    "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0G"
    "arZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
    "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6Lb"
    "gGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

const VerifyKey& a3_key() {
  static const Jwks jwks = Jwks::parse(kA3Jwks).value();
  return jwks.keys().at(0).key;
}

const TestKey& es384() {
  static const TestKey k = TestKey::generate(JwsAlg::kES384, "ec-384");
  return k;
}
const TestKey& rs384() {
  static const TestKey k = TestKey::generate(JwsAlg::kRS384, "rsa-384");
  return k;
}

VerifyKey key_of(const TestKey& k) {
  return Jwks::parse(testing::jwks_of({k.public_jwk()})).value().keys().at(0).key;
}

std::string error_of(std::string_view token) {
  auto r = parse_jws(token);
  return r.ok() ? std::string("accepted") : r.error().message();
}

std::string b64(std::string_view s) { return base64url_encode(s); }

TEST(Base64Url, RoundTripsAndRefusesEveryOtherSpelling) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8", "x").value(), "\xfb\xff");
  EXPECT_FALSE(base64url_decode("-_8=", "x").ok());  // padding
  EXPECT_FALSE(base64url_decode("+/8", "x").ok());   // the other alphabet
  EXPECT_FALSE(base64url_decode("-_ 8", "x").ok());  // whitespace
  EXPECT_FALSE(base64url_decode("AB", "x").ok());    // non-zero trailing bits
  EXPECT_TRUE(base64url_decode("AA", "x").ok());
  EXPECT_FALSE(base64url_decode("A", "x").ok());  // a lone sextet is no byte
}

TEST(Jws, Rfc7515A3VectorVerifies) {
  auto jws = parse_jws(kA3Token);
  ASSERT_TRUE(jws.ok()) << jws.error().message();
  EXPECT_EQ(jws->alg, JwsAlg::kES256);
  EXPECT_EQ(jws->payload,
            "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");
  EXPECT_TRUE(verify_jws(*jws, a3_key()).ok());
  auto claims = parse_jwt_claims(jws->payload);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->find("exp")->text(), "1300819380");
}

TEST(Jws, Rfc7515A2VectorVerifies) {
  auto jwks = Jwks::parse(kA2Jwks);
  ASSERT_TRUE(jwks.ok()) << jwks.error().message();
  const VerifyKey& key = jwks->keys().at(0).key;
  EXPECT_EQ(key.bits(), 2048);
  auto jws = parse_jws(kA2Token);
  ASSERT_TRUE(jws.ok()) << jws.error().message();
  EXPECT_EQ(jws->alg, JwsAlg::kRS256);
  EXPECT_TRUE(verify_jws(*jws, key).ok());
  // The same signature presented as RS384 does not verify (another digest).
  jws->alg = JwsAlg::kRS384;
  EXPECT_EQ(verify_jws(*jws, key).message(), "jws: signature does not verify");
}

TEST(Jws, Rfc7515A3VectorWithAFlippedBitFails) {
  std::string token = kA3Token;
  token[token.rfind('.') + 1] = 'E';  // DtEh... -> EtEh...: r's first byte changes
  auto jws = parse_jws(token);
  ASSERT_TRUE(jws.ok());
  Status s = verify_jws(*jws, a3_key());
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "jws: signature does not verify");
  std::string payload_changed = kA3Token;
  payload_changed[30] = payload_changed[30] == 'A' ? 'B' : 'A';
  auto changed = parse_jws(payload_changed);
  if (changed.ok()) EXPECT_FALSE(verify_jws(*changed, a3_key()).ok());
}

TEST(Jws, GeneratedKeysOfEverySupportedAlgorithmVerify) {
  for (JwsAlg alg : {JwsAlg::kES256, JwsAlg::kES384, JwsAlg::kRS256, JwsAlg::kRS384}) {
    const TestKey k = alg == JwsAlg::kES384   ? es384()
                      : alg == JwsAlg::kRS384 ? rs384()
                                              : TestKey::generate(alg, "k");
    const std::string token = k.sign(k.header(), R"({"iss":"a"})");
    auto jws = parse_jws(token);
    ASSERT_TRUE(jws.ok()) << jws.error().message();
    EXPECT_EQ(jws->alg, alg);
    EXPECT_EQ(jws->kid, k.kid);
    EXPECT_EQ(jws->typ, "JWT");
    EXPECT_TRUE(verify_jws(*jws, key_of(k)).ok()) << jws_alg_name(alg);
    // Another key of the same kind does not verify it.
    const TestKey other = TestKey::generate(alg, "other");
    EXPECT_EQ(verify_jws(*jws, key_of(other)).message(), "jws: signature does not verify");
  }
}

TEST(Jws, NonZeroTrailingBitsInTheSignatureAreRefusedBeforeVerifying) {
  std::string token = kA3Token;
  token.back() = 'R';  // ...NU1Q -> ...NU1R: only the 4 unused bits differ
  EXPECT_EQ(error_of(token), "jws: signature is not base64url without padding");
}

TEST(Jws, RefusesNoneAndHmacAndUnknownAlgorithms) {
  const std::string body = "." + b64("{}") + "." + b64("sig");
  EXPECT_EQ(error_of(b64(R"({"alg":"none"})") + body),
            "jws: alg 'none' is refused: the token is not signed");
  EXPECT_EQ(error_of(b64(R"({"alg":"none"})") + "." + b64("{}") + "."), "jws: signature is empty");
  EXPECT_EQ(error_of(b64(R"({"alg":"HS256"})") + body),
            "jws: HMAC algorithms (HS*) are refused: a public key is not a shared secret");
  EXPECT_EQ(error_of(b64(R"({"alg":"PS384"})") + body), "jws: alg 'PS384' is not supported");
  EXPECT_EQ(error_of(b64(R"({"alg":"ES512"})") + body), "jws: alg 'ES512' is not supported");
  EXPECT_EQ(error_of(b64(R"({"alg":"<Jane Doe 1970-01-01>"})") + body),
            "jws: alg is not supported");
  EXPECT_EQ(error_of(b64(R"({"alg":384})") + body), "jws: header member 'alg' is missing");
  EXPECT_EQ(error_of(b64(R"({"kid":"a"})") + body), "jws: header member 'alg' is missing");
}

// The classic confusion: a verifier that lets the token choose HS256 and keys
// the MAC with the public key's bytes accepts a "signature" anyone can make.
TEST(Jws, HmacKeyedWithThePublicKeyIsRefused) {
  const std::string jwk = es384().public_jwk();
  const std::string input = b64(R"({"alg":"HS256","kid":"ec-384"})") + "." + b64("{}");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), jwk.data(), static_cast<int>(jwk.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  const std::string token =
      input + "." + b64(std::string_view(reinterpret_cast<char*>(mac), mac_len));
  EXPECT_EQ(parse_jws(token).error().code(), StatusCode::kUnauthenticated);
}

TEST(Jws, RefusesAnAlgorithmThatDoesNotFitTheKey) {
  // RS384 header, EC key; ES256 header, P-384 key; ES384 header, RSA key.
  auto rsa_token = parse_jws(rs384().sign(rs384().header(), "{}")).value();
  EXPECT_EQ(verify_jws(rsa_token, key_of(es384())).message(),
            "jws: alg RS384 does not fit the key's type");
  ParsedJws es = parse_jws(es384().sign(es384().header(), "{}")).value();
  es.alg = JwsAlg::kES256;
  EXPECT_EQ(verify_jws(es, key_of(es384())).message(),
            "jws: alg ES256 does not fit the key's type");
  es.alg = JwsAlg::kES384;
  EXPECT_EQ(verify_jws(es, key_of(rs384())).message(),
            "jws: alg ES384 does not fit the key's type");
}

TEST(Jws, RefusesEcdsaSignaturesNotExactlyRAndS) {
  const std::string input = b64(es384().header()) + "." + b64("{}");
  const std::string good = es384().jws_signature(input);
  ASSERT_EQ(good.size(), 96u);
  for (const std::string& sig :
       {good.substr(0, 95), good + std::string(1, '\0'), std::string(1, '\0') + good,
        es384().raw_sign(input, true) /* DER, as OpenSSL makes it */}) {
    auto jws = parse_jws(input + "." + b64(sig));
    ASSERT_TRUE(jws.ok());
    EXPECT_EQ(verify_jws(*jws, key_of(es384())).message(),
              "jws: ECDSA signature is not 96 bytes (r||s)");
  }
  auto jws = parse_jws(input + "." + b64(good));
  EXPECT_TRUE(verify_jws(*jws, key_of(es384())).ok());
}

TEST(Jws, RefusesAnRsaSignatureOfTheWrongSize) {
  const std::string input = b64(rs384().header()) + "." + b64("{}");
  const std::string sig = rs384().jws_signature(input);
  auto jws = parse_jws(input + "." + b64(sig.substr(1)));
  EXPECT_EQ(verify_jws(*jws, key_of(rs384())).message(),
            "jws: RSA signature is not the size of the key's modulus");
}

TEST(Jws, RefusesHeadersThatNameTheirOwnKeysOrCriticalExtensions) {
  const std::string body = "." + b64("{}") + "." + b64("sig");
  EXPECT_EQ(error_of(b64(R"({"alg":"ES384","crit":["exp"],"exp":1})") + body),
            "jws: header member 'crit' is refused: no extension is understood");
  for (const char* member : {"jku", "x5u", "jwk", "x5c"}) {
    const std::string header =
        std::string(R"({"alg":"ES384",")") + member + R"(":"https://attacker.example/"})";
    EXPECT_EQ(error_of(b64(header) + body),
              std::string("jws: header member '") + member +
                  "' is refused: keys come from the configured JWKS only");
  }
  EXPECT_EQ(error_of(b64(R"({"alg":"ES384","b64":false})") + body),
            "jws: header member 'b64' is refused: unencoded payloads are not supported");
  EXPECT_EQ(error_of(b64(R"({"alg":"ES384","kid":7})") + body),
            "jws: header member 'kid' must be a string of 1 to 256 bytes");
}

TEST(Jws, RefusesMalformedStructure) {
  const std::string h = b64(R"({"alg":"ES384"})");
  const std::string p = b64("{}");
  const std::string s = b64("sig");
  const std::string three = "jws: token is not three dot-separated parts (compact serialization)";
  EXPECT_EQ(error_of(h + "." + p), three);
  EXPECT_EQ(error_of(h + "." + p + "." + s + "." + s), three);
  EXPECT_EQ(error_of(""), three);
  EXPECT_EQ(error_of(h + "=." + p + "." + s), "jws: header is not base64url without padding");
  EXPECT_EQ(error_of(h + "." + p + "+." + s), "jws: payload is not base64url without padding");
  EXPECT_EQ(error_of(h + "." + p + "." + s + "="),
            "jws: signature is not base64url without padding");
  EXPECT_EQ(error_of(b64("[1]") + "." + p + "." + s), "jws: header is not a JSON object");
  EXPECT_NE(
      error_of(b64(R"({"alg":"ES384","alg":"none"})") + "." + p + "." + s).find("duplicate-key"),
      std::string::npos);
  EXPECT_NE(error_of(b64(R"({"alg":"ES384","x":[[[[1]]]]})") + "." + p + "." + s).find("too-deep"),
            std::string::npos);
  EXPECT_NE(error_of(b64("{\"alg\":\"ES384\"") + "." + p + "." + s).find("not acceptable JSON"),
            std::string::npos);
}

TEST(Jws, RefusesOversizeTokensHeadersAndPayloads) {
  const std::string s = b64("sig");
  EXPECT_EQ(error_of(std::string(8 * 1024 + 1, 'A')), "jws: token is larger than 8192 bytes");
  const std::string big_header = R"({"alg":"ES384","kid":")" + std::string(1100, 'k') + R"("})";
  EXPECT_EQ(error_of(b64(big_header) + "." + b64("{}") + "." + s),
            "jws: header is larger than 1024 bytes");
  const std::string big_payload = R"({"x":")" + std::string(4200, 'p') + R"("})";
  EXPECT_EQ(error_of(b64(R"({"alg":"ES384"})") + "." + b64(big_payload) + "." + s),
            "jws: payload is larger than 4096 bytes");
}

TEST(Jws, ErrorsNeverEchoTokenContents) {
  const std::string secret = "Doe-John-1970-01-01";
  const std::string body = "." + b64(R"({"name":")" + secret + R"("})") + "." + b64("sig");
  for (const std::string& header :
       {R"({"alg":")" + secret + R"("})", R"({"alg":"ES384","kid":")" + secret + R"(","crit":[]})",
        R"({"alg":"ES384",")" + secret + R"(":1,")" + secret + R"(":2})"}) {
    const std::string message = error_of(b64(header) + body);
    EXPECT_EQ(message.find("Doe"), std::string::npos) << message;
  }
  auto claims = parse_jwt_claims(R"({"a":")" + secret + R"(","a":1})");
  EXPECT_EQ(claims.error().message().find("Doe"), std::string::npos);
}

TEST(Jws, ClaimsMustBeABoundedObject) {
  EXPECT_EQ(parse_jwt_claims("[]").error().message(), "jws: claims are not a JSON object");
  EXPECT_FALSE(parse_jwt_claims("It's a dangerous business").ok());
  EXPECT_TRUE(parse_jwt_claims(R"({"aud":["a","b"]})").ok());
}

}  // namespace
}  // namespace gw::auth
