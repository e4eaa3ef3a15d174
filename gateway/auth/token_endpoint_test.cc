#include "gateway/auth/token_endpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "fhir/json/json.h"
#include "gateway/auth/jose_test_support.h"

namespace gw::auth {
namespace {

using testing::TestKey;

constexpr int64_t kNow = 1'780'000'000;
constexpr const char* kUrl = "https://gw.example:8443/auth/token";
constexpr const char* kForm = "application/x-www-form-urlencoded";

class TokenEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("token_endpoint_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    jtis_ = JtiStore::open(dir_ / "auth.db").value();
    tokens_ = TokenStore::open(dir_ / "auth.db").value();
    RegisteredClient registry;
    registry.name = "registry";
    registry.grant = make_client_grant({"system/Patient.rs", "system/Observation.r"}, {}).value();
    registry.jwks = Jwks::parse(testing::jwks_of({key_.public_jwk()})).value();
    RegisteredClient certonly;
    certonly.name = "ehr";
    certonly.cert_subject = "CN=ehr";
    certonly.grant = make_client_grant({"system/*.cruds"}, {}).value();
    clients_ = std::make_unique<ClientRegistry>(std::vector{registry, certonly});
    endpoint_ = std::make_unique<TokenEndpoint>(clients_.get(), jtis_.get(), tokens_.get(),
                                                TokenEndpointOptions{kUrl, 60});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string assertion(const std::string& jti, const std::string& aud = kUrl,
                        const std::string& iss = "registry", int64_t exp = kNow + 240) const {
    return key_.sign(key_.header(), "{\"iss\":\"" + iss + "\",\"sub\":\"" + iss + "\",\"aud\":\"" +
                                        aud + "\",\"exp\":" + std::to_string(exp) + ",\"jti\":\"" +
                                        jti + "\"}");
  }
  static std::string form(const std::string& assertion, const std::string& extra = "") {
    return "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%"
           "3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" +
           assertion + extra;
  }

  TestKey key_ = TestKey::generate(JwsAlg::kES384, "k1");
  std::filesystem::path dir_;
  std::unique_ptr<JtiStore> jtis_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<ClientRegistry> clients_;
  std::unique_ptr<TokenEndpoint> endpoint_;
};

TEST_F(TokenEndpointTest, ASignedAssertionGetsATokenForTheGrantedScopesOnce) {
  const std::string a = assertion("jti-1");
  TokenReply r = endpoint_->handle(kForm, form(a, "&scope=system%2F*.rs"), kNow);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.client, "registry");
  auto body = fhir::parse_json(r.body).value();
  EXPECT_EQ(body.find("token_type")->text(), "bearer");
  // Asked for every type's rs: granted what the client is configured for.
  EXPECT_EQ(body.find("scope")->text(), "system/Observation.r system/Patient.rs");
  auto grant = tokens_->lookup(body.find("access_token")->text(), kNow + 1);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->client_id, "registry");

  TokenReply replay = endpoint_->handle(kForm, form(a), kNow + 2);
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(replay.reason, "invalid_client");
}

TEST_F(TokenEndpointTest, RefusalsSayWhyInOAuthTerms) {
  auto status_of = [&](std::string_view type, const std::string& body) {
    return endpoint_->handle(type, body, kNow);
  };
  EXPECT_EQ(status_of("application/json", form(assertion("a"))).status, 400);
  EXPECT_EQ(status_of(kForm, "grant_type=password").reason, "unsupported_grant_type");
  EXPECT_EQ(status_of(kForm, "grant_type=client_credentials").reason, "invalid_request");
  EXPECT_EQ(status_of(kForm, form(assertion("b")) + "&client_secret=x").reason, "invalid_request");
  EXPECT_EQ(status_of(kForm, "a=%zz").reason, "invalid_request");
  EXPECT_EQ(status_of(kForm, "a=1&a=2").reason, "invalid_request");
  EXPECT_EQ(status_of(kForm, form("not.a.jws")).status, 401);
  // Another audience, another client's name, a client without keys, expired.
  EXPECT_EQ(status_of(kForm, form(assertion("c", "https://other.example/token"))).status, 401);
  EXPECT_EQ(status_of(kForm, form(assertion("d", kUrl, "nobody"))).status, 401);
  EXPECT_EQ(status_of(kForm, form(assertion("e", kUrl, "ehr"))).status, 401);
  EXPECT_EQ(status_of(kForm, form(assertion("f", kUrl, "registry", kNow - 120))).status, 401);
  TokenReply other_id = status_of(kForm, form(assertion("g")) + "&client_id=ehr");
  EXPECT_EQ(other_id.status, 401);
  // No request text comes back: not the assertion, not the client id asked for.
  EXPECT_EQ(other_id.body.find("jti"), std::string::npos);
}

TEST_F(TokenEndpointTest, AScopeRefusalLeavesTheAssertionUnspent) {
  const std::string a = assertion("jti-scope");
  TokenReply refused = endpoint_->handle(kForm, form(a, "&scope=system%2FEncounter.r"), kNow);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.reason, "invalid_scope");
  EXPECT_EQ(endpoint_->handle(kForm, form(a), kNow).status, 200);
}

TEST(ParseFormTest, DecodesPercentAndPlusAndRefusesRepeats) {
  std::vector<std::pair<std::string, std::string>> f;
  ASSERT_TRUE(parse_form("a=b+c&d=%2F%41&e", &f));
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].second, "b c");
  EXPECT_EQ(f[1].second, "/A");
  EXPECT_EQ(f[2].first, "e");
  EXPECT_FALSE(parse_form("a=%4", &f));
  EXPECT_FALSE(parse_form("a=1&a=2", &f));
  std::string many;
  for (int i = 0; i < 17; ++i) many += "k" + std::to_string(i) + "=v&";
  EXPECT_FALSE(parse_form(many, &f));
}

}  // namespace
}  // namespace gw::auth
