// The gateway's local view of the consortium: members, policy, consents and
// the transfers that involve this gateway, built from the contracts' events,
// persisted (view_store.h) with the last block applied, caught up at start
// from the deployment block and followed live. Only final blocks are applied
// (head - confirmations + 1, as the outbox counts them), so what the view
// says will not be undone by a reorganisation shallower than that.
//
// Why: a consent or membership check on the transfer path must not cost an
// RPC (or fail when the node is away). The view answers from memory; the
// contract checks every transfer again when it is recorded, so a stale view
// can delay or refuse a transfer, never let one through that the chain would
// refuse. status() says how far behind the view is.
//
// Threads: every read (check, member, ...) takes a shared lock on the state
// and may be called from any thread. One follower thread (start_follower)
// applies blocks; poll_once() does one pass on the caller's thread (tests and
// tools without a follower). A node that does not answer delays the view and
// is reported (event=consortium_view.unreachable), never fatal.
//
// Chain reset: if the node no longer has the block the view last applied
// (same number, other hash, or none), the view logs
// event=consortium_view.chain_reset and rebuilds from the deployment block.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/base/status.h"
#include "gateway/config/config.h"
#include "gateway/consortium/view_state.h"
#include "gateway/consortium/view_store.h"
#include "ledger-client/rpc/eth_client.h"
#include "ledger-client/rpc/json_rpc.h"

namespace gw::consortium {

struct ConsortiumViewOptions {
  std::string path;            // the SQLite file (created 0600)
  ledger::JsonRpcOptions rpc;  // the view opens its own connection
  ViewIdentity identity;       // chain, contracts, this gateway's account, deployment block
  uint32_t confirmations = 1;  // [ledger] confirmations
  std::chrono::milliseconds poll{1000};
  // eth_getLogs block span per query; halved (down to 1) when the node
  // refuses a query for returning too much.
  uint64_t max_blocks_per_query = 2000;
};

// How far the view has got, for status and metrics.
struct ViewStatus {
  bool started = false;        // some block has been applied
  uint64_t applied_block = 0;  // last block applied
  uint64_t head = 0;           // node's head at the last successful poll
  uint64_t final_block = 0;    // head - confirmations + 1 then
  uint64_t lag_blocks = 0;     // final_block - applied_block (0 when caught up)
  bool node_reachable = false;
  bool caught_up = false;    // the last poll reached the final block
  int64_t last_sync_ms = 0;  // wall clock of the last poll that succeeded (0: never)
  std::string last_error;    // of the last poll; empty when it succeeded; no PHI
  uint64_t log_queries = 0;  // eth_getLogs requests since open (what a restart re-reads)
};

class ConsortiumView {
 public:
  // Opens the file and loads it; no RPC and no thread yet.
  static Result<std::unique_ptr<ConsortiumView>> open(ConsortiumViewOptions options);
  // gatewayd's start with [ledger] enabled: the file is
  // <state_dir>/ledger/consortium_view.sqlite, the node and confirmations
  // are [ledger]'s, the poll interval [ledger] view_poll_ms; starts the
  // follower.
  static Result<std::unique_ptr<ConsortiumView>> start(
      const config::GatewayConfig& cfg, const anchoring::LedgerDeployment& deployment,
      const ledger::Address& self);
  ~ConsortiumView();  // stop()
  ConsortiumView(const ConsortiumView&) = delete;
  ConsortiumView& operator=(const ConsortiumView&) = delete;

  void start_follower();
  // Stops the follower; an RPC in progress finishes within the RPC timeout.
  void stop();

  // One pass: detects a chain reset, then applies every final block not yet
  // applied. Errors: the node's failure (unavailable / deadline-exceeded) or
  // a chain event the view cannot read (data-loss); the view stays where it
  // was.
  Status poll_once();
  // Asks for a pass now (the follower's, or one on this thread without a
  // follower) and waits for it until `deadline`; returns that pass's status.
  Status refresh(std::chrono::steady_clock::time_point deadline);
  // Waits until the view has applied `block`, asking for passes meanwhile.
  // deadline-exceeded names the block reached.
  Status wait_for_block(uint64_t block, std::chrono::steady_clock::time_point deadline);
  // The recipient's wait for a delivery that names a transfer the view has
  // not seen: not-found when the deadline passes first.
  Result<TransferEntry> wait_for_recorded_transfer(const Address& from, const Uint256& transfer_id,
                                                   std::chrono::steady_clock::time_point deadline);

  // ConsentRegistry.check as of the view, at unix time `now_s`.
  CheckResult check(const Hash256& patient_token, const Address& grantee, uint8_t purpose,
                    uint64_t now_s) const;
  std::optional<MemberEntry> member(const Address& account) const;
  std::optional<MemberEntry> member_by_org_id(const std::string& org_id) const;
  // The TLS certificate fingerprint (SHA-256 of the DER) a peer presented.
  std::optional<MemberEntry> member_by_tls_fingerprint(const Hash256& fingerprint) const;
  std::vector<MemberEntry> members() const;  // ordered by account
  bool is_active(const Address& account) const;
  bool emergency_access_enabled() const;
  uint8_t quorum() const;
  // The patient's custodian (nullopt: not registered).
  std::optional<Address> custodian(const Hash256& patient_token) const;
  std::optional<PatientEntry> patient(const Hash256& patient_token) const;
  // Transfers from or to this gateway (final blocks only).
  std::optional<TransferEntry> recorded_transfer(const Address& from,
                                                 const Uint256& transfer_id) const;
  std::optional<TransferEntry> refused_transfer(const Address& from,
                                                const Uint256& transfer_id) const;

  ViewStatus status() const;
  // Logs event=stats.consortium_view (applied block, head, lag, members, grants).
  void log_stats() const;

 private:
  explicit ConsortiumView(ConsortiumViewOptions options) : options_(std::move(options)) {}
  void follow();
  Status poll_locked();
  Status check_cursor();
  Result<std::vector<ledger::Log>> fetch_logs(uint64_t from, uint64_t to);
  Status apply_range(uint64_t from, uint64_t to);
  void note_poll(const Status& s);

  const ConsortiumViewOptions options_;
  std::unique_ptr<ledger::JsonRpcClient> rpc_;
  std::unique_ptr<ledger::EthClient> eth_;

  std::mutex poll_mu_;  // one pass at a time; guards store_, cursor_, chunk_
  std::unique_ptr<ViewStore> store_;
  ViewCursor cursor_;
  uint64_t chunk_ = 0;

  mutable std::shared_mutex mu_;  // guards state_ and status_
  ViewState state_;
  ViewStatus status_;

  std::mutex wake_mu_;  // guards the generations, following_ and stop_
  std::condition_variable wake_cv_;
  uint64_t requested_ = 0, completed_ = 0;
  Status last_pass_;
  bool stop_ = false;
  bool following_ = false;  // the follower thread runs passes (refresh asks it)
  std::thread follower_;    // started and joined by the owner's thread only
};

}  // namespace gw::consortium
