// A transfer fixture whose tests play a member gone wrong: they hold a
// member's real secrets (unsealed from its swtpm with the project's key
// store, as gatewayctl does), record transfers on the TransferLog with its
// ledger key and seal payloads of their own making with its payload key; or
// they play a third member with keys of their own.
#pragma once

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/crypto/commitment.h"
#include "gateway/keys/key_options.h"
#include "ledger-client/consortium/transfer_log.h"
#include "ledger-client/outbox/outbox_store.h"
#include "ledger-client/outbox/submitter.h"
#include "ledger-client/outbox/tx_signer.h"
#include "tests/integration/transfer_delivery_fixture.h"

namespace gw::testing {

class TransferForgeryFixture : public TransferDeliveryFixture {
 protected:
  // The member's working keys, unsealed by its swtpm with the key store code
  // gatewayd and gatewayctl use. The member's gatewayd must be stopped (the
  // TPM takes one client); the store is closed before returning, the keys
  // stay in locked memory.
  keys::WorkingKeys unseal_keys(const Member& m) {
    auto cfg = config::load_config(m.gw->config_path());
    EXPECT_TRUE(cfg.ok()) << cfg.error().message();
    if (!cfg.ok()) return {};
    auto loaded = keys::load_keys(*cfg);
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    if (!loaded.ok()) return {};
    loaded->key_store.reset();
    return std::move(loaded->working);
  }

  // Records `transfers` on the TransferLog from the account of `ledger_key`
  // through an outbox of the test's own (the member's outbox reconciles its
  // nonce with the chain when it starts again), and waits until each is
  // recorded.
  void record_as(const crypto::SecretBytes& ledger_key,
                 const std::vector<ledger::consortium::TransferInput>& transfers) {
    ASSERT_EQ(ledger_key.size(), 32u);
    auto signer =
        ledger::LocalKeySigner::create(std::span<const uint8_t, 32>(ledger_key.data(), 32));
    ASSERT_TRUE(signer.ok()) << signer.error().message();
    auto store = ledger::OutboxStore::open(dir_.path() + "/outbox-" +
                                           ledger::to_hex((*signer)->address()) + ".db");
    ASSERT_TRUE(store.ok()) << store.error().message();
    ledger::SubmitterOptions options;
    options.contracts = deployment_.contracts;
    ledger::Submitter submitter(**store, *eth_, **signer, options);
    ASSERT_TRUE(submitter.start().ok());
    auto seqs = submitter.enqueue_transfers(transfers);
    ASSERT_TRUE(seqs.ok()) << seqs.error().message();
    gw::Status drained = submitter.drain(60s);
    ASSERT_TRUE(drained.ok()) << drained.message();
    for (int64_t seq : *seqs) {
      auto item = (*store)->item(seq);
      ASSERT_TRUE(item.ok() && item->has_value());
      EXPECT_EQ((*item)->state, ledger::ItemState::kDone) << (*item)->outcome;
    }
  }

  // A third member, C, that the test plays itself: its own TLS certificate,
  // payload key and ledger account (anvil's dev account 7), added to the
  // consortium by A's proposal and B's approval. Both gatewayds must be
  // stopped (governance goes through their outboxes).
  struct Third {
    Member member;
    crypto::SecretBytes payload_secret, ledger_key;
    transfer::Address account{};
  };
  void join_third(Third& c) {
    c.member.dir = dir_.path() + "/c";
    std::filesystem::create_directories(c.member.dir + "/pki");
    auto pki = make_test_pki(c.member.dir + "/pki", "client-c");
    ASSERT_TRUE(pki.ok()) << pki.status().message();
    c.member.pki = *pki;
    transfer::PublicKey payload_public{};
    auto secret = crypto::SecretBytes::allocate(crypto_box_SECRETKEYBYTES);
    ASSERT_TRUE(secret.has_value());
    crypto_box_keypair(payload_public.data(), secret->mutable_data());
    c.payload_secret = std::move(*secret);
    const std::array<uint8_t, 32> dev = AnvilProcess::dev_key(7);
    auto ledger_key = crypto::SecretBytes::copy_of(dev);
    ASSERT_TRUE(ledger_key.has_value());
    c.ledger_key = std::move(*ledger_key);
    c.account = AnvilProcess::dev_address(7);
    const std::string entry = dir_.path() + "/third.json";
    std::ofstream(entry) << R"([{"account": ")" << ledger::to_checksum_hex(c.account)
                         << R"(", "org_id": "urn:oid:2.16.840.1.113883.3.9999.3", )"
                         << R"("name": "Hospital C", "encryption_key": ")"
                         << ledger::to_hex(payload_public) << R"(", "tls_fingerprint": ")"
                         << ledger::to_hex(fingerprint_of(c.member.pki.server_cert))
                         << R"(", "signing_key_hash": ")" << std::string(64, '3')
                         << R"(", "accreditation": "TEST"}])";
    const std::string done =
        governed({"ledger", "propose-add", "--config", a_.gw->config_path(), "--member", entry});
    ASSERT_NE(done.find("member added"), std::string::npos) << done;
  }

  std::optional<transfer::OutgoingTransfer> outgoing_at(const Member& m, uint64_t id) {
    auto store = transfer::TransferStore::open_read_only(m.dir + "/state/transfers.db");
    if (!store.ok()) return std::nullopt;
    auto t = (*store)->outgoing(static_cast<int64_t>(id));
    if (!t.ok() || !t->has_value()) return std::nullopt;
    return **t;
  }

  static std::string sealed(const transfer::Payload& p, const crypto::SecretBytes& sender_secret,
                            const transfer::PublicKey& recipient_key) {
    auto s = transfer::seal(p, sender_secret, recipient_key);
    EXPECT_TRUE(s.ok()) << s.error().message();
    return s.ok() ? s->bytes : "";
  }

  // A record of `json` committed anew under the salt of `like`.
  static transfer::PayloadRecord recommitted(transfer::PayloadRecord like, std::string type,
                                             std::string id, std::string json) {
    like.resource_type = std::move(type);
    like.resource_id = std::move(id);
    like.resource_json = std::move(json);
    like.commitment = crypto::commitment_digest(like.salt, like.resource_json);
    return like;
  }

  static transfer::Hash256 root_of(const std::vector<transfer::PayloadRecord>& records) {
    std::vector<transfer::Hash256> c;
    for (const transfer::PayloadRecord& r : records) c.push_back(r.commitment);
    return *transfer::commitment_root(c);
  }
};

}  // namespace gw::testing
