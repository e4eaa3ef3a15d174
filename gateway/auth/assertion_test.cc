#include "gateway/auth/assertion.h"

#include <gtest/gtest.h>

#include <string>

#include "gateway/auth/jose_test_support.h"

namespace gw::auth {
namespace {

using testing::jwks_of;
using testing::TestKey;

constexpr int64_t kNow = 1'780'000'000;
constexpr const char* kClient = "lab-reporting";
constexpr const char* kEndpoint = "https://gw.example.org:8443/auth/token";

const TestKey& es384() {
  static const TestKey k = TestKey::generate(JwsAlg::kES384, "ec-384");
  return k;
}
const TestKey& rs384() {
  static const TestKey k = TestKey::generate(JwsAlg::kRS384, "rsa-384");
  return k;
}
const Jwks& client_keys() {
  static const Jwks jwks =
      Jwks::parse(jwks_of({es384().public_jwk(), rs384().public_jwk()})).value();
  return jwks;
}

AssertionCheck check() {
  AssertionCheck c;
  c.client_id = kClient;
  c.token_endpoint = kEndpoint;
  c.now_s = kNow;
  return c;
}

// The claims of a good assertion without member `drop`, with the members
// `extra` appended (to replace a member, drop it: the parser refuses
// duplicates).
std::string claims(std::string_view extra = "", std::string_view drop = "") {
  std::string out = "{";
  auto add = [&](std::string_view name, std::string value) {
    if (name == drop) return;
    if (out.size() > 1) out += ",";
    out += "\"" + std::string(name) + "\":" + value;
  };
  add("iss", "\"lab-reporting\"");
  add("sub", "\"lab-reporting\"");
  add("aud", "\"" + std::string(kEndpoint) + "\"");
  add("exp", std::to_string(kNow + 240));
  add("jti", "\"4a1f7c0e-2b9d-4f6a-9e51-0c8d2f3b7a64\"");
  if (!extra.empty()) out += "," + std::string(extra);
  return out + "}";
}

Result<ClientAssertion> verify(const std::string& token, const AssertionCheck& c = check()) {
  GW_ASSIGN_OR_RETURN(ParsedJws jws, parse_jws(token));
  return verify_client_assertion(jws, client_keys(), c);
}

std::string claim_error(const std::string& claims_json, const AssertionCheck& c = check()) {
  auto r = verify(es384().sign(es384().header(), claims_json), c);
  return r.ok() ? std::string("accepted") : r.error().message();
}

TEST(ClientAssertion, AcceptsAGoodAssertionWithEitherKey) {
  for (const TestKey* key : {&es384(), &rs384()}) {
    auto a = verify(key->sign(key->header(), claims()));
    ASSERT_TRUE(a.ok()) << a.error().message();
    EXPECT_EQ(a->client_id, kClient);
    EXPECT_EQ(a->jti, "4a1f7c0e-2b9d-4f6a-9e51-0c8d2f3b7a64");
    EXPECT_EQ(a->exp_s, kNow + 240);
    EXPECT_EQ(a->replay_window_end_s, kNow + 240 + 60);
  }
}

TEST(ClientAssertion, UnverifiedIssuerFindsTheClientToVerifyWith) {
  auto jws = parse_jws(es384().sign(es384().header(), claims())).value();
  EXPECT_EQ(unverified_issuer(jws).value(), kClient);
  jws.payload = R"({"sub":"x"})";
  EXPECT_EQ(unverified_issuer(jws).error().message(), "client assertion: claim 'iss' is missing");
  jws.payload = R"({"iss":")" + std::string(257, 'i') + R"("})";
  EXPECT_EQ(unverified_issuer(jws).error().message(),
            "client assertion: claim 'iss' is not 1 to 256 bytes");
}

TEST(ClientAssertion, RefusesTheWrongIssuerSubjectOrAudience) {
  AssertionCheck other = check();
  other.client_id = "someone-else";
  EXPECT_EQ(claim_error(claims(), other), "client assertion: claim 'iss' does not name the client");
  EXPECT_EQ(claim_error(claims(R"("sub":"Doe-John")", "sub")),
            "client assertion: claim 'sub' does not name the client");
  EXPECT_EQ(claim_error(claims("", "sub")), "client assertion: claim 'sub' is missing");
  EXPECT_EQ(claim_error(claims(R"("iss":7)", "iss")),
            "client assertion: claim 'iss' is not a string");
  EXPECT_EQ(claim_error(claims(R"("aud":"https://other.example/auth/token")", "aud")),
            "client assertion: claim 'aud' does not name this token endpoint");
  EXPECT_EQ(claim_error(claims("", "aud")), "client assertion: claim 'aud' is missing");
  EXPECT_EQ(claim_error(claims(R"("aud":{"a":1})", "aud")),
            "client assertion: claim 'aud' is neither a string nor an array");
  EXPECT_EQ(claim_error(claims(R"("aud":["https://a.example",1])", "aud")),
            "client assertion: claim 'aud' holds a non-string");
  EXPECT_EQ(claim_error(claims(R"("aud":["https://a.example"])", "aud")),
            "client assertion: claim 'aud' does not name this token endpoint");
  EXPECT_EQ(claim_error(
                claims(std::string(R"("aud":["https://a.example",")") + kEndpoint + "\"]", "aud")),
            "accepted");
  // A trailing slash is another URL: compared exactly.
  EXPECT_EQ(claim_error(claims(std::string(R"("aud":")") + kEndpoint + "/\"", "aud")),
            "client assertion: claim 'aud' does not name this token endpoint");
}

TEST(ClientAssertion, ChecksExpiryWithLeeway) {
  auto with_exp = [](int64_t exp) { return claims("\"exp\":" + std::to_string(exp), "exp"); };
  EXPECT_EQ(claim_error(claims("", "exp")), "client assertion: claim 'exp' is missing");
  EXPECT_EQ(claim_error(with_exp(kNow - 61)), "client assertion: claim 'exp' has passed");
  EXPECT_EQ(claim_error(with_exp(kNow - 60)), "client assertion: claim 'exp' has passed");
  EXPECT_EQ(claim_error(with_exp(kNow - 59)), "accepted");   // within the leeway
  EXPECT_EQ(claim_error(with_exp(kNow + 360)), "accepted");  // 5 min + leeway
  EXPECT_EQ(claim_error(with_exp(kNow + 361)),
            "client assertion: claim 'exp' is more than 300 s in the future");
  AssertionCheck strict = check();
  strict.leeway_s = 0;
  EXPECT_EQ(claim_error(with_exp(kNow), strict), "client assertion: claim 'exp' has passed");
  EXPECT_EQ(claim_error(with_exp(kNow + 301), strict),
            "client assertion: claim 'exp' is more than 300 s in the future");
  EXPECT_EQ(claim_error(claims("\"exp\":\"" + std::to_string(kNow + 10) + "\"", "exp")),
            "client assertion: claim 'exp' is not a number");
  for (const char* bad : {"-1", "1.78e9", "1780000000000000", "1780000100.5e1"}) {
    EXPECT_EQ(claim_error(claims(std::string("\"exp\":") + bad, "exp")),
              "client assertion: claim 'exp' is not a plausible date")
        << bad;
  }
  EXPECT_EQ(claim_error(claims("\"exp\":" + std::to_string(kNow + 10) + ".75", "exp")), "accepted");
}

TEST(ClientAssertion, ChecksIatAndNbfWhenPresent) {
  EXPECT_EQ(claim_error(claims("\"iat\":" + std::to_string(kNow - 5))), "accepted");
  EXPECT_EQ(claim_error(claims("\"iat\":" + std::to_string(kNow + 60))), "accepted");
  EXPECT_EQ(claim_error(claims("\"iat\":" + std::to_string(kNow + 61))),
            "client assertion: claim 'iat' is in the future");
  EXPECT_EQ(claim_error(claims("\"nbf\":" + std::to_string(kNow + 61))),
            "client assertion: claim 'nbf' is in the future");
  EXPECT_EQ(claim_error(claims(R"("nbf":true)")), "client assertion: claim 'nbf' is not a number");
}

TEST(ClientAssertion, RequiresABoundedJti) {
  EXPECT_EQ(claim_error(claims("", "jti")), "client assertion: claim 'jti' is missing");
  EXPECT_EQ(claim_error(claims(R"("jti":12)", "jti")),
            "client assertion: claim 'jti' is not a string");
  EXPECT_EQ(claim_error(claims(R"("jti":"")", "jti")),
            "client assertion: claim 'jti' is not 1 to 256 bytes");
  EXPECT_EQ(claim_error(claims("\"jti\":\"" + std::string(257, 'j') + "\"", "jti")),
            "client assertion: claim 'jti' is not 1 to 256 bytes");
  EXPECT_EQ(claim_error(claims("\"jti\":\"" + std::string(256, 'j') + "\"", "jti")), "accepted");
}

TEST(ClientAssertion, RefusesASignatureByAnotherKeyOrAnUnknownKid) {
  // Signed by a key the client never registered, under a registered kid.
  const TestKey stranger = TestKey::generate(JwsAlg::kES384, "ec-384");
  auto r = verify(stranger.sign(stranger.header(), claims()));
  EXPECT_EQ(r.error().message(), "jws: signature does not verify");
  const TestKey unknown = TestKey::generate(JwsAlg::kES384, "not-registered");
  EXPECT_EQ(verify(unknown.sign(unknown.header(), claims())).error().message(),
            "jws: no configured key has the header's 'kid'");
  EXPECT_EQ(verify(es384().sign(R"({"alg":"ES384"})", claims())).error().message(),
            "jws: header member 'kid' is missing");
  // An RSA-signed token that claims the EC key's kid.
  EXPECT_EQ(verify(rs384().sign(R"({"alg":"RS384","kid":"ec-384"})", claims())).error().message(),
            "jws: alg RS384 does not fit the key named by 'kid'");
}

TEST(ClientAssertion, RefusesAnotherTyp) {
  EXPECT_EQ(verify(es384().sign(R"({"alg":"ES384","kid":"ec-384","typ":"dpop+jwt"})", claims()))
                .error()
                .message(),
            "client assertion: header member 'typ' is not JWT");
}

TEST(ClientAssertion, EveryRefusalIsUnauthenticatedAndEchoesNoValues) {
  const std::string secret = "Doe-John-1970";
  for (const std::string& c :
       {claims("\"sub\":\"" + secret + "\"", "sub"), claims("\"aud\":\"" + secret + "\"", "aud"),
        claims("\"exp\":\"" + secret + "\"", "exp"), claims("\"nbf\":\"" + secret + "\"")}) {
    auto r = verify(es384().sign(es384().header(), c));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(r.error().message().find("Doe"), std::string::npos) << r.error().message();
  }
  auto r = verify(es384().sign(es384().header(), "[\"" + secret + "\"]"));
  EXPECT_EQ(r.error().message(), "jws: claims are not a JSON object");
}

}  // namespace
}  // namespace gw::auth
