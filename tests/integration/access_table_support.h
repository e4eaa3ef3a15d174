// Helpers of access_table_test.cc: the callers of the table (each a TLS
// context and maybe a Bearer token), SMART Backend Services assertions signed
// the way a client signs them, the token request's form, reading the
// AuditEvent Bundles the auditor gets back, and expiring a token in auth.db.
#pragma once

#include <Poco/Exception.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <sqlite3.h>

#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gateway/auth/jose.h"
#include "gateway/auth/jose_test_support.h"
#include "gateway/rest/rest_test_util.h"

namespace gw::testing::access {

using rest::testing::Reply;

// A table cell that is no HTTP status: the TLS handshake was refused, or the
// caller has nothing to send there.
inline constexpr int kTls = 0;
inline constexpr int kNa = -1;

struct Caller {
  std::string name;  // column heading, and part of ids it creates
  Poco::Net::Context::Ptr ctx;
  std::string bearer;       // sent as Authorization: Bearer when set
  std::string assertion;    // what it sends to POST /auth/token ("": a form without one)
  bool token_only = false;  // has no token: only POST /auth/token applies
};

// One request; kTls (and `error`) when the connection or handshake fails.
inline Reply call(const Caller& c, uint16_t port, const std::string& method,
                  const std::string& target, const std::string& body = "",
                  const std::string& content_type = "", std::string* error = nullptr) {
  rest::testing::Headers headers;
  if (!c.bearer.empty()) headers.emplace_back("Authorization", "Bearer " + c.bearer);
  if (!content_type.empty()) headers.emplace_back("Content-Type", content_type);
  try {
    return rest::testing::https_call(c.ctx, port, method, target, body, headers);
  } catch (const Poco::Exception& e) {
    if (error) *error = e.displayText();
  } catch (const std::exception& e) {
    if (error) *error = e.what();
  }
  Reply r;
  r.status = kTls;
  return r;
}

inline int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Claims of a client assertion (RFC 7523) from `client` to `aud`.
struct Claims {
  std::string client, aud, jti;
  int64_t iat = 0, exp = 0;
  std::string extra;  // more members, e.g. ",\"pad\":\"...\""
  std::string json() const {
    return "{\"iss\":\"" + client + "\",\"sub\":\"" + client + "\",\"aud\":\"" + aud +
           "\",\"jti\":\"" + jti + "\",\"iat\":" + std::to_string(iat) +
           ",\"exp\":" + std::to_string(exp) + extra + "}";
  }
};

// A fresh, valid assertion: exp four minutes ahead, a jti never used.
inline Claims fresh_claims(const std::string& client, const std::string& aud) {
  static int counter = 0;
  const int64_t now = now_s();
  return Claims{client, aud,       "jti-" + std::to_string(now) + "-" + std::to_string(++counter),
                now,    now + 240, ""};
}

// An unsigned token (alg none), and one "signed" with HS256 keyed by the
// public key's bytes (the algorithm-confusion forgery).
inline std::string alg_none_token(const std::string& kid, const Claims& c) {
  const std::string header = "{\"alg\":\"none\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
  return auth::base64url_encode(header) + "." + auth::base64url_encode(c.json()) + ".";
}
inline std::string hs256_token(const std::string& kid, const std::string& key_bytes,
                               const Claims& c) {
  const std::string input =
      auth::base64url_encode("{\"alg\":\"HS256\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}") + "." +
      auth::base64url_encode(c.json());
  crypto_auth_hmacsha256_state st;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key_bytes.data()),
                              key_bytes.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(input.data()),
                                input.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return input + "." + auth::base64url_encode({reinterpret_cast<const char*>(mac), sizeof mac});
}

// The token request (application/x-www-form-urlencoded). `scope` is
// percent-encoded here; the assertion is base64url and dots, safe as it is.
inline std::string token_form(const std::string& assertion, const std::string& scope = "") {
  std::string form = "grant_type=client_credentials";
  if (!assertion.empty()) {
    form +=
        "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=" +
        assertion;
  }
  if (!scope.empty()) {
    form += "&scope=";
    static const char kHex[] = "0123456789ABCDEF";
    for (unsigned char ch : scope) {
      if (std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_') {
        form += static_cast<char>(ch);
      } else {
        form += '%';
        form += kHex[ch >> 4];
        form += kHex[ch & 15];
      }
    }
  }
  return form;
}
inline constexpr char kFormType[] = "application/x-www-form-urlencoded";

// How many entries a Bundle answer holds.
inline size_t entry_count(const Reply& r) {
  const fhir::JsonValue bundle = r.json();
  const fhir::JsonValue* entries = bundle.find("entry");
  return entries != nullptr && entries->is_array() ? entries->items().size() : 0;
}

// One AuditEvent of a search answer, reduced to what the checks look at.
struct Event {
  std::string agent;    // agent[0].who.display: client:NAME, anonymous, ...
  std::string action;   // the urn:gateway:audit-action subtype code
  std::string outcome;  // 0, 4, 8
};

inline std::vector<Event> events_of(const Reply& r) {
  std::vector<Event> out;
  const fhir::JsonValue bundle = r.json();
  const fhir::JsonValue* entries = bundle.find("entry");
  if (entries == nullptr || !entries->is_array()) return out;
  for (const fhir::JsonValue& e : entries->items()) {
    const fhir::JsonValue* res = e.find("resource");
    if (res == nullptr) continue;
    Event ev;
    ev.agent = rest::testing::text_at(*res, {"agent", "0", "who", "display"});
    ev.outcome = rest::testing::text_at(*res, {"outcome"});
    if (const fhir::JsonValue* sub = res->find("subtype"); sub && sub->is_array()) {
      for (const fhir::JsonValue& s : sub->items()) {
        if (rest::testing::text_at(s, {"system"}) == "urn:gateway:audit-action") {
          ev.action = rest::testing::text_at(s, {"code"});
        }
      }
    }
    out.push_back(std::move(ev));
  }
  return out;
}

// Expires an access token the way time would: its row in auth.db (SHA-256 of
// the token), which the token store reads at every lookup.
inline void expire_access_token(const std::string& auth_db, const std::string& token) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(auth_db.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  std::array<unsigned char, crypto_hash_sha256_BYTES> hash{};
  crypto_hash_sha256(hash.data(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size());
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE access_token SET expires_at = ? WHERE hash = ?", -1, &st,
                               nullptr),
            SQLITE_OK);
  sqlite3_bind_int64(st, 1, now_s() - 1);
  sqlite3_bind_blob(st, 2, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE) << sqlite3_errmsg(db);
  EXPECT_EQ(sqlite3_changes(db), 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// A table cell as printed.
inline std::string cell(int status) {
  return status == kTls ? "TLS" : status == kNa ? "-" : std::to_string(status);
}

}  // namespace gw::testing::access
