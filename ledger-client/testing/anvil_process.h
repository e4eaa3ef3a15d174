// Test fixture: a real anvil (the pinned foundry npm binary) as a child
// process on loopback, for the tests of ledger-client/rpc and the outbox. Its
// output goes to a log file (never a pipe that could fill up and stall it),
// and it dies with the test process (PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/account/account.h"
#include "ledger-client/rlp/uint256.h"
#include "ledger-client/rpc/json_rpc.h"

namespace gw::ledger::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents by the
// destructor. path() is empty if it could not be created.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct AnvilOptions {
  int port = 0;  // 0: anvil picks a free port (--port 0; read back from its log)
  // Non-empty: --state FILE (loaded at start if present, dumped at exit).
  std::string state_file{};
  std::optional<double> state_interval_s{};  // --state-interval
  uint64_t chain_id = 31337;
  bool no_mining = false;  // --no-mining (mine with evm_mine)
  std::optional<double> block_time_s{};
  std::string hardfork = "paris";       // the contracts are compiled for paris
  std::optional<uint64_t> base_fee{};   // --base-fee
  std::optional<uint64_t> gas_price{};  // --gas-price
  std::vector<std::string> extra_args{};
};

class AnvilProcess {
 public:
  // Starts anvil on 127.0.0.1 and waits (up to 20 s) for its "Listening on"
  // line. To restart "the same node" after stop(), start again with
  // options.port = the old port() and the same state_file. On failure the
  // error carries the log's tail.
  static Result<std::unique_ptr<AnvilProcess>> start(const AnvilOptions& options);
  ~AnvilProcess();  // stop()
  AnvilProcess(const AnvilProcess&) = delete;
  AnvilProcess& operator=(const AnvilProcess&) = delete;

  std::string url() const;  // http://127.0.0.1:P
  int port() const { return port_; }
  const std::string& log_path() const { return log_path_; }
  // SIGTERM (anvil dumps --state), wait up to 10 s, then SIGKILL; reaps.
  // Idempotent.
  void stop();
  // SIGKILL: no state dump, as in a crash. Reaps.
  void kill();

  // $ANVIL if set, else $GW_NPM_MODULES_DIR/@foundry-rs/anvil-linux-amd64/bin/anvil,
  // else the same under the build's GW_NPM_MODULES_DIR.
  static std::string binary_path();
  // The default dev accounts' keys (mnemonic "test test ... junk"), index 0..9;
  // aborts for another index (a test bug).
  static std::array<uint8_t, 32> dev_key(int index);
  static Address dev_address(int index);

 private:
  AnvilProcess() = default;
  std::unique_ptr<TempDir> dir_;  // holds the log
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Small raw JSON-RPC helpers for tests.
Status mine(JsonRpcClient& rpc, int blocks = 1);             // evm_mine, `blocks` times
Status increase_time(JsonRpcClient& rpc, uint64_t seconds);  // evm_increaseTime
Status set_balance(JsonRpcClient& rpc, const Address& account, const Uint256& wei);
Status set_next_base_fee(JsonRpcClient& rpc, uint64_t wei);  // anvil_setNextBlockBaseFeePerGas
Status set_automine(JsonRpcClient& rpc, bool on);            // evm_setAutomine

}  // namespace gw::ledger::testing
