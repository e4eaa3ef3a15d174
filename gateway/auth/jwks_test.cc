#include "gateway/auth/jwks.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/auth/jose_test_support.h"

namespace gw::auth {
namespace {

using testing::jwks_of;
using testing::TestKey;

const TestKey& es384() {
  static const TestKey k = TestKey::generate(JwsAlg::kES384, "ec-384");
  return k;
}
const TestKey& es256() {
  static const TestKey k = TestKey::generate(JwsAlg::kES256, "ec-256");
  return k;
}
const TestKey& rs384() {
  static const TestKey k = TestKey::generate(JwsAlg::kRS384, "rsa-384");
  return k;
}

std::string error_of(const std::string& json) {
  auto r = Jwks::parse(json);
  return r.ok() ? std::string("accepted") : r.error().message();
}

TEST(Jwks, ParsesEcAndRsaKeys) {
  auto jwks =
      Jwks::parse(jwks_of({es384().public_jwk(R"(,"use":"sig")"), es256().public_jwk("", false),
                           rs384().public_jwk(R"(,"key_ops":["verify"])")}));
  ASSERT_TRUE(jwks.ok()) << jwks.error().message();
  ASSERT_EQ(jwks->keys().size(), 3u);
  EXPECT_EQ(jwks->skipped(), 0u);
  EXPECT_EQ(jwks->keys()[0].key.kind(), VerifyKey::Kind::kEcP384);
  EXPECT_EQ(jwks->keys()[0].alg, JwsAlg::kES384);
  EXPECT_EQ(jwks->keys()[1].key.kind(), VerifyKey::Kind::kEcP256);
  EXPECT_FALSE(jwks->keys()[1].alg.has_value());
  EXPECT_EQ(jwks->keys()[2].key.kind(), VerifyKey::Kind::kRsa);
  EXPECT_EQ(jwks->keys()[2].key.bits(), 2048);
}

TEST(Jwks, SkipsKeysItDoesNotUnderstandOrMayNotUse) {
  auto jwks = Jwks::parse(jwks_of({
      es384().public_jwk(),
      R"({"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
      R"({"kty":"EC","crv":"P-521","kid":"p521","x":"AA","y":"AA"})",
      R"({"kty":"oct","kid":"sym"})",
      rs384().public_jwk(R"(,"use":"enc")").replace(8, 7, "rsa-enc"),
      es256().public_jwk(R"(,"key_ops":["sign"])"),
      TestKey::generate(JwsAlg::kES384, "ps").public_jwk("", false).insert(1, R"("alg":"PS384",)"),
  }));
  ASSERT_TRUE(jwks.ok()) << jwks.error().message();
  EXPECT_EQ(jwks->keys().size(), 1u);
  EXPECT_EQ(jwks->skipped(), 6u);
}

TEST(Jwks, RefusesAPastedPrivateKey) {
  for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    const std::string jwk = es384().public_jwk(std::string(",\"") + member + "\":\"AAAA\"");
    EXPECT_EQ(error_of(jwks_of({jwk})),
              std::string("jwks: key 0: holds private member '") + member +
                  "': this is a private key, treat it as disclosed and replace it");
  }
  // Even in a key we would otherwise skip.
  EXPECT_NE(error_of(jwks_of({R"({"kty":"OKP","crv":"Ed25519","x":"AA","d":"AA"})"}))
                .find("private member 'd'"),
            std::string::npos);
}

TEST(Jwks, RefusesMalformedSupportedKeys) {
  EXPECT_EQ(error_of(jwks_of({es384().public_jwk().replace(0, 1, R"({"kid":"b",)")})),
            "jwks: not acceptable JSON: duplicate-key at byte 25 (/keys/0/kid): duplicate object "
            "member name");
  // x of P-256 size on P-384.
  std::string short_x = R"({"kty":"EC","crv":"P-384","kid":"a","x":")" +
                        base64url_encode(std::string(32, '\1')) + R"(","y":")" +
                        base64url_encode(std::string(48, '\1')) + R"("})";
  EXPECT_EQ(error_of(jwks_of({short_x})), "jwks: key 0: x and y must be 48 bytes for P-384");
  // Full-size coordinates, but not a point on the curve.
  std::string off_curve = R"({"kty":"EC","crv":"P-384","kid":"a","x":")" +
                          base64url_encode(std::string(48, '\1')) + R"(","y":")" +
                          base64url_encode(std::string(48, '\1')) + R"("})";
  EXPECT_NE(error_of(jwks_of({off_curve})).find("jwks: key 0: EC public key"), std::string::npos);
  EXPECT_EQ(error_of(jwks_of({R"({"kty":"RSA","kid":"a","e":"AQAB"})"})),
            "jwks: key 0: member 'n' is missing");
  EXPECT_EQ(error_of(jwks_of({R"({"kty":"RSA","kid":"a","n":"AQAB","e":"AQ+B"})"})),
            "jwks: key 0: member 'e' is not base64url");
  EXPECT_EQ(error_of(jwks_of({R"({"kty":"EC","kid":"a","x":"AA","y":"AA"})"})),
            "jwks: key 0: member 'crv' is missing");
  EXPECT_EQ(error_of(jwks_of({R"({"kid":"a"})"})), "jwks: key 0: member 'kty' is missing");
  EXPECT_EQ(error_of(jwks_of({"[]"})), "jwks: key 0: not a JSON object");
  EXPECT_EQ(error_of(R"({"keys":{}})"), "jwks: not a JSON object with a 'keys' array");
  EXPECT_EQ(error_of("[]"), "jwks: not a JSON object with a 'keys' array");
}

TEST(Jwks, RefusesShortRsaKeys) {
  const TestKey weak = TestKey::generate(JwsAlg::kRS384, "weak", 1024);
  EXPECT_EQ(error_of(jwks_of({weak.public_jwk()})),
            "jwks: key 0: jwk: RSA key is shorter than 2048 bits");
}

TEST(Jwks, RefusesAnAlgThatDoesNotFitTheKey) {
  std::string jwk = es384().public_jwk("", false).insert(1, R"("alg":"RS384",)");
  EXPECT_EQ(error_of(jwks_of({jwk})), "jwks: key 0: alg RS384 does not fit the key");
  jwk = es384().public_jwk("", false).insert(1, R"("alg":"ES256",)");
  EXPECT_EQ(error_of(jwks_of({jwk})), "jwks: key 0: alg ES256 does not fit the key");
}

TEST(Jwks, RequiresUniqueKids) {
  EXPECT_EQ(error_of(jwks_of({es384().public_jwk(), rs384().public_jwk().replace(8, 7, "ec-384")})),
            "jwks: key 1: its kid is not unique in the set");
  std::string no_kid = es384().public_jwk().replace(0, 16, "{");
  EXPECT_EQ(error_of(jwks_of({no_kid})),
            "jwks: key 0: member 'kid' is missing (or not a string of 1 to 256 bytes)");
}

TEST(Jwks, BoundsTheDocument) {
  std::string many = R"({"keys":[)";
  for (int i = 0; i < 33; ++i) many += std::string(i ? "," : "") + R"({"kty":"oct"})";
  EXPECT_EQ(error_of(many + "]}"), "jwks: more than 32 keys");
  EXPECT_NE(error_of(std::string(70 * 1024, ' ') + "{}").find("input-too-large"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"keys":[{"kty":"RSA","x5c":[[["a"]]]}]})").find("too-deep"),
            std::string::npos);
}

TEST(Jwks, SelectsByKidAndAlg) {
  auto jwks = Jwks::parse(jwks_of({es384().public_jwk(), rs384().public_jwk(),
                                   es256().public_jwk("", false)}))
                  .value();
  EXPECT_EQ(jwks.select("ec-384", JwsAlg::kES384).value()->kid, "ec-384");
  EXPECT_EQ(jwks.select("rsa-384", JwsAlg::kRS384).value()->kid, "rsa-384");
  EXPECT_EQ(jwks.select("ec-256", JwsAlg::kES256).value()->kid, "ec-256");
  EXPECT_EQ(jwks.select("", JwsAlg::kES384).error().message(),
            "jws: header member 'kid' is missing");
  EXPECT_EQ(jwks.select("Doe-John", JwsAlg::kES384).error().message(),
            "jws: no configured key has the header's 'kid'");
  // The key is pinned to RS384: RS256 under its kid is refused, as is ES384.
  EXPECT_EQ(jwks.select("rsa-384", JwsAlg::kRS256).error().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(jwks.select("rsa-384", JwsAlg::kES384).error().message(),
            "jws: alg ES384 does not fit the key named by 'kid'");
  EXPECT_EQ(jwks.select("ec-256", JwsAlg::kES384).error().code(), StatusCode::kUnauthenticated);
}

TEST(Jwks, LoadsAFileAndNamesItInErrors) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("jwks_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto good = dir / "client.jwks";
  std::ofstream(good) << jwks_of({es384().public_jwk()});
  auto jwks = Jwks::load_file(good);
  ASSERT_TRUE(jwks.ok()) << jwks.error().message();
  EXPECT_EQ(jwks->keys().size(), 1u);

  const auto big = dir / "big.jwks";
  std::ofstream(big) << std::string(Jwks::kMaxDocumentBytes + 1, ' ');
  EXPECT_EQ(Jwks::load_file(big).error().message(),
            "jwks: " + big.string() + " is larger than 65536 bytes");
  EXPECT_EQ(Jwks::load_file(dir / "missing").error().code(), StatusCode::kNotFound);
  const auto bad = dir / "bad.jwks";
  std::ofstream(bad) << "{}";
  EXPECT_EQ(Jwks::load_file(bad).error().message(),
            bad.string() + ": jwks: not a JSON object with a 'keys' array");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gw::auth
