// Test fixture of the FHIR REST tests (header-only, test code only): a temp
// directory with a throwaway PKI, a real MessageStore on a SQLite file, a
// real FhirRestServer on a free loopback port, and an HTTPS client
// (Poco::Net::HTTPSClientSession) that trusts the test CA.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/rest/rest_server.h"
#include "gateway/store/message_store.h"
#include "gateway/store/store_test_util.h"
#include "tests/support/test_certs.h"

namespace gw::rest::testing {

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // last value of each
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  fhir::JsonValue json() const {
    auto r = fhir::parse_json(body);
    return r.ok() ? *r : fhir::JsonValue();
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

inline Poco::Net::Context::Ptr client_context(const std::string& ca_file,
                                              const std::string& cert = "",
                                              const std::string& key = "") {
  Poco::Net::Context::Params p;
  p.caLocation = ca_file;
  p.certificateFile = cert;
  p.privateKeyFile = key;
  p.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  p.loadDefaultCAs = false;
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
}

// One request on a fresh connection. Throws Poco::Exception on TLS/IO errors.
inline Reply https_call(Poco::Net::Context::Ptr ctx, uint16_t port, const std::string& method,
                        const std::string& target, const std::string& body = "",
                        const Headers& headers = {}) {
  Poco::Net::HTTPSClientSession session("localhost", port, ctx);
  session.setTimeout(Poco::Timespan(20, 0));
  Poco::Net::HTTPRequest req(method, target, Poco::Net::HTTPMessage::HTTP_1_1);
  bool has_type = false;
  for (const auto& [n, v] : headers) {
    req.set(n, v);
    if (n == "Content-Type") has_type = true;
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!has_type) req.setContentType("application/fhir+json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  std::ostream& out = session.sendRequest(req);
  out << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  Reply r;
  r.status = resp.getStatus();
  Poco::StreamCopier::copyToString(in, r.body);
  for (const auto& [n, v] : resp) r.headers[n] = v;
  return r;
}

class RestFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    auto pki = gw::testing::make_test_pki(dir_.path().string(), "his.example.org");
    ASSERT_TRUE(pki.ok()) << pki.status().message();
    pki_ = *pki;
    store::StoreOptions so;
    so.path = dir_.store_file();
    so.keys = crypto::StoreKeys::random_for_tests();
    auto opened = store::MessageStore::open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
    ctx_ = client_context(pki_.ca_cert);
  }
  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    if (store_) store_->close();
  }

  RestOptions options() const {
    RestOptions o;
    o.cert_file = pki_.server_cert;
    o.key_file = pki_.server_key;
    o.threads = 4;
    // These tests are about FHIR REST itself; access control has its own.
    o.allow_anonymous = true;
    return o;
  }
  void start(RestOptions o) {
    server_ = std::make_unique<FhirRestServer>(std::move(o), store_.get());
    gw::Status started = server_->start();
    ASSERT_TRUE(started.ok()) << started.message();
    ASSERT_NE(server_->port(), 0);
  }
  void start() { start(options()); }

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             const Headers& headers = {}) {
    return https_call(ctx_, server_->port(), method, target, body, headers);
  }

  store::testing::TempDir dir_;
  gw::testing::TestPki pki_;
  std::unique_ptr<store::MessageStore> store_;
  std::unique_ptr<FhirRestServer> server_;
  Poco::Net::Context::Ptr ctx_;
};

// Text of a string member along a path of keys/indexes, or "".
inline std::string text_at(const fhir::JsonValue& v, std::initializer_list<const char*> keys) {
  const fhir::JsonValue* cur = &v;
  for (const char* k : keys) {
    if (cur->is_array()) {
      const size_t i = static_cast<size_t>(std::stoul(k));
      if (i >= cur->items().size()) return "";
      cur = &cur->items()[i];
    } else {
      cur = cur->find(k);
      if (cur == nullptr) return "";
    }
  }
  return cur->text();
}

inline bool is_operation_outcome(const Reply& r) {
  return text_at(r.json(), {"resourceType"}) == "OperationOutcome" &&
         r.header("Content-Type").rfind("application/fhir+json", 0) == 0;
}

}  // namespace gw::rest::testing
