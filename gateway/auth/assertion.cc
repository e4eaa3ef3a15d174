#include "gateway/auth/assertion.h"

#include <utility>

namespace gw::auth {
namespace {

Status refuse(std::string_view claim, std::string_view rule) {
  return unauthenticated_error("client assertion: claim '" + std::string(claim) + "' " +
                               std::string(rule));
}

// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly with a
// fraction, which is dropped (for exp that makes the assertion expire a
// fraction earlier: the safe side). No exponent, no sign: a date this
// service will ever meet is a plain non-negative integer of at most 12
// digits, and anything else is refused rather than interpreted.
Result<int64_t> numeric_date(const fhir::JsonValue& claims, std::string_view claim) {
  const fhir::JsonValue* v = claims.find(claim);
  if (v == nullptr) return refuse(claim, "is missing");
  if (!v->is_number()) return refuse(claim, "is not a number");
  std::string_view text = v->text();
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  if (whole.empty() || whole.size() > 12) return refuse(claim, "is not a plausible date");
  int64_t seconds = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return refuse(claim, "is not a plausible date");
    seconds = seconds * 10 + (c - '0');
  }
  if (dot != std::string_view::npos) {
    for (char c : text.substr(dot + 1)) {
      if (c < '0' || c > '9') return refuse(claim, "is not a plausible date");
    }
  }
  return seconds;
}

Status require_string_equal(const fhir::JsonValue& claims, std::string_view claim,
                            std::string_view expected) {
  const fhir::JsonValue* v = claims.find(claim);
  if (v == nullptr) return refuse(claim, "is missing");
  if (!v->is_string()) return refuse(claim, "is not a string");
  if (v->text() != expected) return refuse(claim, "does not name the client");
  return ok_status();
}

Status check_audience(const fhir::JsonValue& claims, std::string_view endpoint) {
  const fhir::JsonValue* aud = claims.find("aud");
  if (aud == nullptr) return refuse("aud", "is missing");
  if (aud->is_string()) {
    if (aud->text() == endpoint) return ok_status();
    return refuse("aud", "does not name this token endpoint");
  }
  if (!aud->is_array()) return refuse("aud", "is neither a string nor an array");
  for (const fhir::JsonValue& item : aud->items()) {
    if (!item.is_string()) return refuse("aud", "holds a non-string");
    if (item.text() == endpoint) return ok_status();
  }
  return refuse("aud", "does not name this token endpoint");
}

}  // namespace

Result<std::string> unverified_issuer(const ParsedJws& jws, const JwsLimits& limits) {
  GW_ASSIGN_OR_RETURN(fhir::JsonValue claims, parse_jwt_claims(jws.payload, limits));
  const fhir::JsonValue* iss = claims.find("iss");
  if (iss == nullptr || !iss->is_string()) return refuse("iss", "is missing");
  if (iss->text().empty() || iss->text().size() > kMaxClientIdBytes) {
    return refuse("iss", "is not 1 to 256 bytes");
  }
  return iss->text();
}

Result<ClientAssertion> check_assertion_claims(const fhir::JsonValue& claims,
                                               const AssertionCheck& check) {
  if (!claims.is_object())
    return unauthenticated_error("client assertion: claims are not an object");
  if (check.client_id.empty() || check.token_endpoint.empty()) {
    return internal_error("client assertion: checked without a client id or token endpoint");
  }
  GW_RETURN_IF_ERROR(require_string_equal(claims, "iss", check.client_id));
  GW_RETURN_IF_ERROR(require_string_equal(claims, "sub", check.client_id));
  GW_RETURN_IF_ERROR(check_audience(claims, check.token_endpoint));

  GW_ASSIGN_OR_RETURN(const int64_t exp, numeric_date(claims, "exp"));
  if (exp + check.leeway_s <= check.now_s) return refuse("exp", "has passed");
  if (exp > check.now_s + check.max_lifetime_s + check.leeway_s) {
    return refuse("exp",
                  "is more than " + std::to_string(check.max_lifetime_s) + " s in the future");
  }
  for (std::string_view claim : {"iat", "nbf"}) {
    if (claims.find(claim) == nullptr) continue;
    GW_ASSIGN_OR_RETURN(const int64_t t, numeric_date(claims, claim));
    if (t > check.now_s + check.leeway_s) return refuse(claim, "is in the future");
  }

  const fhir::JsonValue* jti = claims.find("jti");
  if (jti == nullptr) return refuse("jti", "is missing");
  if (!jti->is_string()) return refuse("jti", "is not a string");
  if (jti->text().empty() || jti->text().size() > kMaxJtiBytes) {
    return refuse("jti", "is not 1 to 256 bytes");
  }

  ClientAssertion out;
  out.client_id = check.client_id;
  out.jti = jti->text();
  out.exp_s = exp;
  out.replay_window_end_s = exp + check.leeway_s;
  return out;
}

Result<ClientAssertion> verify_client_assertion(const ParsedJws& jws, const Jwks& keys,
                                                const AssertionCheck& check,
                                                const JwsLimits& limits) {
  if (!jws.typ.empty() && jws.typ != "JWT") {
    return unauthenticated_error("client assertion: header member 'typ' is not JWT");
  }
  GW_ASSIGN_OR_RETURN(const Jwk* key, keys.select(jws.kid, jws.alg));
  GW_RETURN_IF_ERROR(verify_jws(jws, key->key));
  GW_ASSIGN_OR_RETURN(fhir::JsonValue claims, parse_jwt_claims(jws.payload, limits));
  return check_assertion_claims(claims, check);
}

}  // namespace gw::auth
