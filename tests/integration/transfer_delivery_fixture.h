// A transfer fixture whose tests speak a member's side of the
// member-to-member API themselves: with a member's TLS certificate (its pki)
// they POST what they like to another member's peering port, and seal
// envelopes with fresh X25519 keys (the members' own payload keys are
// TPM-sealed; transfer_forgery_fixture.h unseals them for the tests that
// need a payload the sender's key authenticates).
#pragma once

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/crypto/sha256.h"
#include "gateway/peering/peer_client.h"
#include "gateway/peering/peer_tls.h"
#include "gateway/transfer/payload.h"
#include "gateway/transfer/transfer_store.h"
#include "tests/integration/transfer_fixture.h"

namespace gw::testing {

// SHA-256 of a PEM certificate's DER: what the registry pins.
inline peering::Fingerprint fingerprint_of(const std::string& pem_file) {
  peering::Fingerprint fp{};
  FILE* f = std::fopen(pem_file.c_str(), "r");
  if (f == nullptr) return fp;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return fp;
  fp = peering::internal::certificate_fingerprint(cert);
  X509_free(cert);
  return fp;
}

struct PeerAnswer {
  int status = 0;
  std::string code, body;
};

class TransferDeliveryFixture : public TransferFixture {
 protected:
  std::unique_ptr<peering::PeerClient> client_as(const Member& m) {
    peering::PeerClientOptions o;
    o.cert_file = m.pki.server_cert;
    o.key_file = m.pki.server_key;
    o.timeout = std::chrono::seconds(30);
    auto c = peering::PeerClient::create(o);
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // POSTs `body` to `to`'s /peer/v1/transfers as `from`.
  PeerAnswer deliver(const Member& from, const Member& to, const std::string& body,
                     const std::string& path = "/peer/v1/transfers") {
    auto client = client_as(from);
    if (client == nullptr) return {};
    auto r = client->post("https://127.0.0.1:" + std::to_string(to.peering_port), path,
                          fingerprint_of(to.pki.server_cert), body);
    if (r.ok()) return {r->status, "", r->body};
    return {r.error().http_status, r.error().code, r.error().reason};
  }

  // An envelope of one small record, sealed from a fresh key to
  // `recipient_key` (a fresh one when unset).
  std::string envelope(const transfer::Address& from, const transfer::Address& to, uint64_t id,
                       std::optional<transfer::PublicKey> recipient_key = std::nullopt) {
    transfer::PublicKey sender_pk{}, other_pk{};
    auto sender_sk = crypto::SecretBytes::allocate(crypto_box_SECRETKEYBYTES);
    auto other_sk = crypto::SecretBytes::allocate(crypto_box_SECRETKEYBYTES);
    if (!sender_sk || !other_sk) return "";
    crypto_box_keypair(sender_pk.data(), sender_sk->mutable_data());
    crypto_box_keypair(other_pk.data(), other_sk->mutable_data());
    transfer::Payload p;
    p.transfer = {from, to, id, {}, 1};
    transfer::PayloadRecord r;
    r.resource_type = "Patient";
    r.resource_id = "forged-1";
    r.resource_json = R"({"id":"forged-1","resourceType":"Patient"})";
    r.commitment = crypto::sha256(std::string(32, '\0') + r.resource_json);
    p.records.push_back(r);
    p.root = *transfer::commitment_root(std::vector<transfer::Hash256>{r.commitment});
    auto sealed = transfer::seal(p, *sender_sk, recipient_key.value_or(other_pk));
    EXPECT_TRUE(sealed.ok()) << sealed.error().message();
    return sealed.ok() ? sealed->bytes : "";
  }

  // The member's registered payload key, from its member entry.
  transfer::PublicKey payload_key_of(Member& m) {
    transfer::PublicKey k{};
    const std::string entry = entry_of(m);
    const std::string field = "\"encryption_key\": \"";
    const size_t at = entry.find(field);
    EXPECT_NE(at, std::string::npos) << entry;
    if (at == std::string::npos) return k;
    auto bytes = ledger::from_hex(entry.substr(at + field.size(), 64));
    EXPECT_TRUE(bytes && bytes->size() == 32) << entry;
    if (bytes && bytes->size() == 32) std::copy(bytes->begin(), bytes->end(), k.begin());
    return k;
  }

  std::vector<transfer::IncomingTransfer> incoming_at(Member& m) {
    auto store = transfer::TransferStore::open_read_only(m.dir + "/state/transfers.db");
    EXPECT_TRUE(store.ok()) << store.error().message();
    if (!store.ok()) return {};
    auto list = (*store)->list_incoming(100);
    EXPECT_TRUE(list.ok());
    return list.ok() ? *list : std::vector<transfer::IncomingTransfer>{};
  }

  // Proposes with A (the gatewayctl arguments given) and approves with B;
  // returns B's output.
  std::string governed(const std::vector<std::string>& propose) {
    std::string out;
    EXPECT_EQ(ctl(propose, &out), 0) << out;
    const size_t at = out.find("proposal id: ");
    EXPECT_NE(at, std::string::npos) << out;
    if (at == std::string::npos) return "";
    const std::string id =
        out.substr(at + 13, out.find_first_not_of("0123456789", at + 13) - at - 13);
    out.clear();
    EXPECT_EQ(ctl({"ledger", "approve", "--config", b_.gw->config_path(), "--proposal", id}, &out),
              0)
        << out;
    return out;
  }

  static size_t count(const std::string& log, const std::string& what) {
    size_t n = 0;
    for (size_t at = 0; (at = log.find(what, at)) != std::string::npos; ++at) ++n;
    return n;
  }
};

}  // namespace gw::testing
