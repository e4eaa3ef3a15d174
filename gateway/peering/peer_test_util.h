// Shared by the peering tests: a throwaway PKI, a PeerServer on a free
// loopback port that knows one member (the PKI's client certificate), and
// clients with either of the PKI's client certificates.
#pragma once

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include "gateway/peering/peer_client.h"
#include "gateway/peering/peer_server.h"
#include "gateway/peering/peer_tls.h"
#include "tests/support/test_certs.h"

namespace gw::peering::testing {

inline Fingerprint fingerprint_of(const std::string& pem_path) {
  Fingerprint fp{};
  FILE* f = std::fopen(pem_path.c_str(), "r");
  if (f == nullptr) return fp;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert != nullptr) fp = internal::certificate_fingerprint(cert);
  X509_free(cert);
  return fp;
}

inline Account member_b() {
  Account a{};
  a.fill(0xbb);
  return a;
}

class PeeringFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gw-peering-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto pki = gw::testing::make_test_pki(dir_, "member-b");
    ASSERT_TRUE(pki.ok()) << pki.error().message();
    pki_ = *pki;
    member_fp_ = fingerprint_of(pki_.client_cert);
    server_fp_ = fingerprint_of(pki_.server_cert);
    ASSERT_NE(member_fp_, Fingerprint{});
    options_.host = "127.0.0.1";
    options_.port = 0;
    options_.cert_file = pki_.server_cert;
    options_.key_file = pki_.server_key;
    options_.threads = 4;
    options_.shutdown_grace = std::chrono::milliseconds(500);
  }
  void TearDown() override {
    server_.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Routes: POST /transfers (records the request, answers {"ok":true}) and
  // GET /status; `handler` replaces the POST handler when set.
  void start(PeerHandler handler = nullptr) {
    if (!handler) {
      handler = [this](const PeerRequest& r) {
        std::lock_guard<std::mutex> lock(mu_);
        seen_ = r;
        ++calls_;
        return PeerResponse{200, R"({"ok":true})"};
      };
    }
    std::vector<PeerRoute> routes;
    routes.push_back({"POST", "/transfers", handler});
    routes.push_back({"GET", "/status", [this](const PeerRequest&) {
                        ++calls_;
                        return PeerResponse{200, R"({"up":true})"};
                      }});
    const Fingerprint known = member_fp_;
    ASSERT_TRUE(server_
                    .start(
                        options_,
                        [known, this](const Fingerprint& fp) -> std::optional<Account> {
                          if (fp == known && !suspended_.load()) return member_b();
                          return std::nullopt;
                        },
                        std::move(routes))
                    .ok());
    base_url_ = "https://127.0.0.1:" + std::to_string(server_.port());
  }

  std::unique_ptr<PeerClient> client(bool member = true,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    PeerClientOptions o;
    o.cert_file = member ? pki_.client_cert : pki_.other_client_cert;
    o.key_file = member ? pki_.client_key : pki_.other_client_key;
    o.timeout = timeout;
    auto c = PeerClient::create(o);
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  int calls() const { return calls_.load(); }

  std::string dir_;
  gw::testing::TestPki pki_;
  Fingerprint member_fp_{}, server_fp_{};
  PeerServerOptions options_;
  PeerServer server_;
  std::string base_url_;
  std::mutex mu_;  // guards seen_
  PeerRequest seen_;
  std::atomic<int> calls_{0};           // handler calls, any route
  std::atomic<bool> suspended_{false};  // member B suspended on chain
};

}  // namespace gw::peering::testing
