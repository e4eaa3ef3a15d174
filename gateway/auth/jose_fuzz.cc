// Fuzz target: the JOSE parsers a token endpoint runs on unauthenticated
// input. The bytes are tried as a compact JWS (header, claims, the client
// assertion checks and a signature verification with the RFC 7515 A.3 key)
// and as a JWKS document. Besides not crashing: whatever parse_jws accepts
// must be the one canonical base64url spelling of what it decoded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/auth/assertion.h"
#include "gateway/auth/jose.h"
#include "gateway/auth/jwks.h"

namespace {

const gw::auth::Jwks& keys() {
  static const gw::auth::Jwks jwks =
      gw::auth::Jwks::parse(R"({"keys":[{"kty":"EC","crv":"P-256","kid":"a3",)"
                            R"("x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
                            R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})")
          .value();
  return jwks;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto jws = gw::auth::parse_jws(input);
  if (jws.ok()) {
    const size_t dot2 = input.rfind('.');
    const size_t dot1 = input.find('.');
    if (gw::auth::base64url_encode(jws->payload) != input.substr(dot1 + 1, dot2 - dot1 - 1) ||
        gw::auth::base64url_encode(jws->signature) != input.substr(dot2 + 1) ||
        jws->signing_input != input.substr(0, dot2)) {
      std::abort();
    }
    (void)gw::auth::unverified_issuer(*jws);
    gw::auth::AssertionCheck check;
    check.client_id = "joe";
    check.token_endpoint = "https://gw.example.org/auth/token";
    check.now_s = 1'300'819'300;
    (void)gw::auth::verify_client_assertion(*jws, keys(), check);
    (void)gw::auth::verify_jws(*jws, keys().keys().at(0).key);
    auto claims = gw::auth::parse_jwt_claims(jws->payload);
    if (claims.ok()) (void)gw::auth::check_assertion_claims(*claims, check);
  }
  (void)gw::auth::Jwks::parse(input);
  return 0;
}
