#include "gateway/auth/token_endpoint.h"

#include <algorithm>
#include <cctype>

#include "fhir/json/write.h"
#include "gateway/auth/assertion.h"
#include "gateway/auth/jose.h"
#include "gateway/auth/scope.h"

namespace gw::auth {

namespace {

constexpr std::string_view kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool form_decode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      *out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      *out += c;
    }
  }
  return true;
}

TokenReply oauth_error(int status, std::string code, std::string description,
                       std::string client = {}) {
  fhir::JsonValue body = fhir::JsonValue::make_object();
  body.add("error", fhir::JsonValue::make_string(code));
  body.add("error_description", fhir::JsonValue::make_string(description));
  TokenReply r;
  r.status = status;
  r.body = fhir::write_json(body);
  r.client = std::move(client);
  r.reason = std::move(code);
  r.detail = std::move(description);
  return r;
}

const std::string* field(const std::vector<std::pair<std::string, std::string>>& form,
                         std::string_view name) {
  for (const auto& [k, v] : form) {
    if (k == name) return &v;
  }
  return nullptr;
}

bool is_form_type(std::string_view content_type) {
  std::string t(content_type.substr(0, content_type.find(';')));
  t.erase(std::remove_if(t.begin(), t.end(), [](unsigned char c) { return std::isspace(c); }),
          t.end());
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return t == "application/x-www-form-urlencoded";
}

}  // namespace

bool parse_form(std::string_view body, std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  if (body.empty()) return true;
  while (true) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    if (!pair.empty()) {
      if (out->size() >= 16) return false;
      const size_t eq = pair.find('=');
      std::string name, value;
      if (!form_decode(pair.substr(0, eq), &name)) return false;
      if (eq != std::string_view::npos && !form_decode(pair.substr(eq + 1), &value)) return false;
      if (field(*out, name) != nullptr) return false;
      out->emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) return true;
    body.remove_prefix(amp + 1);
  }
}

TokenEndpoint::TokenEndpoint(const ClientRegistry* clients, JtiStore* jtis, TokenStore* tokens,
                             TokenEndpointOptions options)
    : clients_(clients), jtis_(jtis), tokens_(tokens), options_(std::move(options)) {}

TokenReply TokenEndpoint::handle(std::string_view content_type, std::string_view body,
                                 int64_t now_s) const {
  if (!is_form_type(content_type)) {
    return oauth_error(400, "invalid_request",
                       "Content-Type must be application/x-www-form-urlencoded");
  }
  if (body.size() > options_.max_body_bytes) {
    return oauth_error(400, "invalid_request", "request body too large");
  }
  std::vector<std::pair<std::string, std::string>> form;
  if (!parse_form(body, &form)) {
    return oauth_error(400, "invalid_request",
                       "the form does not parse (encoding, repeated or too many parameters)");
  }
  const std::string* grant_type = field(form, "grant_type");
  if (grant_type == nullptr) return oauth_error(400, "invalid_request", "grant_type is missing");
  if (*grant_type != "client_credentials") {
    return oauth_error(400, "unsupported_grant_type", "only client_credentials is supported");
  }
  const std::string* assertion_type = field(form, "client_assertion_type");
  const std::string* assertion = field(form, "client_assertion");
  if (assertion_type == nullptr || assertion == nullptr) {
    return oauth_error(400, "invalid_request",
                       "client_assertion_type and client_assertion are required");
  }
  if (*assertion_type != kJwtBearer) {
    return oauth_error(400, "invalid_request", "client_assertion_type must be jwt-bearer");
  }
  if (field(form, "client_secret") != nullptr) {
    return oauth_error(400, "invalid_request", "client secrets are not accepted");
  }

  Result<ParsedJws> parsed = parse_jws(*assertion);
  if (!parsed.ok()) return oauth_error(401, "invalid_client", parsed.status().message());
  Result<std::string> issuer = unverified_issuer(*parsed);
  if (!issuer.ok()) return oauth_error(401, "invalid_client", issuer.status().message());
  const RegisteredClient* client = clients_->by_name(*issuer);
  if (client == nullptr || !client->jwks) {
    // Which names exist is not told: an unknown client and one without keys
    // look the same.
    return oauth_error(401, "invalid_client", "client assertion: no such client with keys");
  }
  if (const std::string* id = field(form, "client_id"); id != nullptr && *id != client->name) {
    return oauth_error(401, "invalid_client", "client_id differs from the assertion's issuer",
                       client->name);
  }
  AssertionCheck check;
  check.client_id = client->name;
  check.token_endpoint = options_.token_url;
  check.now_s = now_s;
  check.leeway_s = options_.leeway_s;
  Result<ClientAssertion> verified = verify_client_assertion(*parsed, *client->jwks, check);
  if (!verified.ok()) {
    return oauth_error(401, "invalid_client", verified.status().message(), client->name);
  }
  const std::string* scope = field(form, "scope");
  Result<ScopeSet> granted =
      grant_requested_scopes(scope ? *scope : std::string_view(), client->grant.scopes);
  if (!granted.ok()) {
    return oauth_error(400, "invalid_scope", granted.status().message(), client->name);
  }
  // The jti is spent only by an assertion that would otherwise succeed, so a
  // request refused for its scope can be corrected and sent again.
  if (Status s = jtis_->record(client->name, verified->jti, verified->replay_window_end_s, now_s);
      !s.ok()) {
    if (s.code() == StatusCode::kResourceExhausted) {
      return oauth_error(429, "invalid_request", s.message(), client->name);
    }
    if (s.code() == StatusCode::kUnauthenticated) {
      return oauth_error(401, "invalid_client", s.message(), client->name);
    }
    return oauth_error(503, "temporarily_unavailable", "the replay store failed", client->name);
  }
  Result<IssuedToken> token = tokens_->issue(client->name, granted->to_string(), now_s);
  if (!token.ok()) {
    const bool exhausted = token.status().code() == StatusCode::kResourceExhausted;
    return oauth_error(
        exhausted ? 429 : 503, exhausted ? "invalid_request" : "temporarily_unavailable",
        exhausted ? token.status().message() : "the token store failed", client->name);
  }
  fhir::JsonValue out = fhir::JsonValue::make_object();
  out.add("access_token", fhir::JsonValue::make_string(token->access_token));
  out.add("token_type", fhir::JsonValue::make_string("bearer"));
  out.add("expires_in", fhir::JsonValue::make_number(std::to_string(token->expires_in_s)));
  out.add("scope", fhir::JsonValue::make_string(granted->to_string()));
  TokenReply r;
  r.body = fhir::write_json(out);
  r.client = client->name;
  return r;
}

std::string TokenEndpoint::smart_configuration(std::string_view token_url) {
  using fhir::JsonValue;
  JsonValue doc = JsonValue::make_object();
  doc.add("token_endpoint", JsonValue::make_string(std::string(token_url)));
  JsonValue& methods = doc.add("token_endpoint_auth_methods_supported", JsonValue::make_array());
  methods.push(JsonValue::make_string("private_key_jwt"));
  JsonValue& algs =
      doc.add("token_endpoint_auth_signing_alg_values_supported", JsonValue::make_array());
  for (const char* a : {"ES384", "RS384", "ES256", "RS256"}) algs.push(JsonValue::make_string(a));
  JsonValue& grants = doc.add("grant_types_supported", JsonValue::make_array());
  grants.push(JsonValue::make_string("client_credentials"));
  JsonValue& scopes = doc.add("scopes_supported", JsonValue::make_array());
  for (const char* s : {"system/*.rs", "system/*.cruds", "system/*.read", "system/*.write"}) {
    scopes.push(JsonValue::make_string(s));
  }
  JsonValue& caps = doc.add("capabilities", JsonValue::make_array());
  for (const char* c : {"client-confidential-asymmetric", "permission-v2", "permission-v1"}) {
    caps.push(JsonValue::make_string(c));
  }
  return fhir::write_json(doc);
}

}  // namespace gw::auth
