// SMART Backend Services client assertions (RFC 7523 §3, SMART App Launch v2
// "Backend Services"): a JWS signed by the client's private key that the
// token endpoint accepts in place of a client secret.
//
// Flow at POST /auth/token (the integrator's):
//   1. parse_jws(client_assertion)
//   2. unverified_issuer(parsed): which configured client claims to have
//      signed it (a hint to find its JWKS; trusted only after step 3)
//   3. verify_client_assertion(parsed, that client's Jwks, check)
//   4. JtiStore::record(client_id, jti, replay_window_end_s)
// Every failure is unauthenticated (OAuth "invalid_client"); the message
// names the claim and the rule, never a claim's value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "gateway/auth/jose.h"
#include "gateway/auth/jwks.h"
#include "gateway/base/status.h"

namespace gw::auth {

struct AssertionCheck {
  std::string client_id;       // iss and sub must equal it
  std::string token_endpoint;  // aud must be (or contain) it, compared exactly
  int64_t now_s = 0;           // seconds since the Unix epoch
  int64_t leeway_s = 60;       // clock skew allowed on exp, iat and nbf
  // SMART: exp "no more than five minutes in the future".
  int64_t max_lifetime_s = 300;
};

struct ClientAssertion {
  std::string client_id;
  std::string jti;
  int64_t exp_s = 0;
  // The jti must be remembered until then: the assertion is acceptable until
  // exp + leeway, so a replay is possible until that moment.
  int64_t replay_window_end_s = 0;
};

inline constexpr size_t kMaxJtiBytes = 256;
inline constexpr size_t kMaxClientIdBytes = 256;

// The `iss` of a parsed but unverified token, if it is a string of 1 to
// kMaxClientIdBytes bytes; unauthenticated otherwise. Use it only to look up
// which client's keys to verify with.
Result<std::string> unverified_issuer(const ParsedJws& jws, const JwsLimits& limits = {});

// Checks the claims alone (the signature is the caller's business): used by
// verify_client_assertion and directly by tests.
Result<ClientAssertion> check_assertion_claims(const fhir::JsonValue& claims,
                                               const AssertionCheck& check);

// Selects the key by the header's kid and alg, verifies the signature, then
// checks the claims. `typ`, when present, must be "JWT" (RFC 7519 §5.1).
Result<ClientAssertion> verify_client_assertion(const ParsedJws& jws, const Jwks& keys,
                                                const AssertionCheck& check,
                                                const JwsLimits& limits = {});

}  // namespace gw::auth
