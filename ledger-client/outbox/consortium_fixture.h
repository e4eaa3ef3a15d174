// Test fixture shared by the outbox's anvil tests: a real anvil on loopback,
// one outbox + submitter per member (anvil's dev accounts), and the five
// contracts deployed from C++ with three founders and a quorum of two.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/outbox/deploy.h"
#include "ledger-client/outbox/submitter.h"
#include "ledger-client/rpc/eth_client.h"
#include "ledger-client/rpc/json_rpc.h"
#include "ledger-client/testing/anvil_process.h"

namespace gw::ledger::testing {

inline Address dev_address(int i) {
  auto key = AnvilProcess::dev_key(i);
  return *address_of(std::span<const uint8_t, 32>(key));
}

// One member gateway's ledger side: its key, its outbox file, its submitter.
struct Member {
  std::unique_ptr<LocalKeySigner> signer;
  std::unique_ptr<OutboxStore> store;
  std::unique_ptr<Submitter> submitter;
  std::string outbox_path;
  Address address() const { return signer->address(); }
};

inline consortium::MemberInfo member_info(const Address& account, int i) {
  consortium::MemberInfo m;
  m.account = account;
  m.org_id = "urn:oid:2.16.840.1.113883.3.9999." + std::to_string(i);
  m.name = "Test Hospital " + std::to_string(i);
  m.encryption_key.fill(static_cast<uint8_t>(0x10 + i));
  m.tls_fingerprint.fill(static_cast<uint8_t>(0x20 + i));
  m.signing_key_hash.fill(static_cast<uint8_t>(0x30 + i));
  m.accreditation = "TEST-ACCREDITATION-" + std::to_string(i);
  return m;
}

class ConsortiumFixture {
 public:
  // Starts anvil with `options` (state file etc.).
  void start_anvil(AnvilOptions options = {}) {
    auto started = AnvilProcess::start(options);
    ASSERT_TRUE(started.ok()) << started.error().message();
    anvil_ = std::move(*started);
    anvil_options_ = options;
    connect();
  }
  void connect() {
    JsonRpcOptions o;
    o.url = anvil_->url();
    o.io_timeout = std::chrono::milliseconds(5000);
    o.connect_timeout = std::chrono::milliseconds(1000);
    auto rpc = JsonRpcClient::create(o);
    ASSERT_TRUE(rpc) << rpc.error().message();
    rpc_ = std::move(*rpc);
    eth_ = std::make_unique<EthClient>(*rpc_);
  }
  // Opens (or reopens) member i's outbox and submitter with `options`.
  void open_member(int i, SubmitterOptions options = {}) {
    if (members_.size() <= static_cast<size_t>(i)) members_.resize(i + 1);
    Member& m = members_[i];
    auto key = AnvilProcess::dev_key(i);
    if (!m.signer) {
      auto s = LocalKeySigner::create(key);
      ASSERT_TRUE(s) << s.error().message();
      m.signer = std::move(*s);
      m.outbox_path = dir_.path() + "/outbox-" + std::to_string(i) + ".db";
    }
    m.submitter.reset();
    m.store.reset();
    auto store = OutboxStore::open(m.outbox_path);
    ASSERT_TRUE(store) << store.error().message();
    m.store = std::move(*store);
    options.contracts = contracts_;
    m.submitter = std::make_unique<Submitter>(*m.store, *eth_, *m.signer, options);
    auto st = m.submitter->start();
    ASSERT_TRUE(st.ok()) << st.message();
  }
  // Member 0 deploys with founders 0, 1, 2 and quorum 2; opens members 0..3.
  void deploy(uint8_t quorum = 2, int founders = 3) {
    open_member(0);
    DeployOptions d;
    for (int i = 0; i < founders; ++i) {
      d.founders.push_back(member_info(dev_address(i), i));
    }
    d.quorum = quorum;
    auto c = deploy_consortium(*members_[0].submitter, *members_[0].store, *eth_, d);
    ASSERT_TRUE(c) << c.error().message();
    contracts_ = *c;
    for (int i = 0; i < 4; ++i) open_member(i);
  }
  Member& member(int i) { return members_.at(i); }
  // eth_call to `to` from member `from`; the raw return data.
  std::vector<uint8_t> view(const Address& to, std::vector<uint8_t> data, int from = 0) {
    CallRequest req;
    req.from = dev_address(from);
    req.to = to;
    req.data = std::move(data);
    auto r = eth_->call(req, BlockRef{});
    EXPECT_TRUE(r) << r.error().describe();
    return r ? *r : std::vector<uint8_t>{};
  }
  // Member i sends one call through its outbox and waits for its outcome.
  OutboxItem call(int i, const Address& to, std::vector<uint8_t> data) {
    Member& m = members_.at(i);
    auto seq = m.submitter->enqueue_call(to, std::move(data));
    EXPECT_TRUE(seq) << seq.error().message();
    auto st = m.submitter->drain(std::chrono::seconds(30));
    EXPECT_TRUE(st.ok()) << st.message();
    auto item = m.store->item(seq ? *seq : 0);
    EXPECT_TRUE(item && item->has_value());
    return item && item->has_value() ? **item : OutboxItem{};
  }
  std::vector<Log> logs_of(const Address& contract) {
    LogFilter f;
    f.addresses = {contract};
    f.from_block = BlockRef{0};
    f.to_block = BlockRef{};
    auto r = eth_->get_logs(f);
    EXPECT_TRUE(r) << r.error().describe();
    return r ? *r : std::vector<Log>{};
  }

  TempDir dir_;
  AnvilOptions anvil_options_;
  std::unique_ptr<AnvilProcess> anvil_;
  std::unique_ptr<JsonRpcClient> rpc_;
  std::unique_ptr<EthClient> eth_;
  ContractAddresses contracts_;
  std::vector<Member> members_;
};

}  // namespace gw::ledger::testing
