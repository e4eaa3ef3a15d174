// Test fixture: runs the real gatewayd binary as a child process with a
// configuration written to a fresh temporary state directory, on a free
// loopback port (listen = 127.0.0.1:0; the port is read from its
// "event=listening" log line). Its stdout is captured continuously so tests
// can assert on log content (e.g. that no PHI is logged).
//
// Keys: each GatewaydProcess starts its own swtpm (state under
// <state_dir>/swtpm, kept across gatewayd restarts), and before the first
// start provisions it and imports a test consortium key with gatewayctl, as an
// operator would. [keys] and [tpm] are written into the configuration.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/base/status.h"

namespace gw::tpm::testing {
class SwtpmProcess;
}

namespace gw::testing {

// The consortium key every test gateway imports (32 bytes, hex), so tokens
// match across test gateways as across member hospitals.
inline constexpr char kTestConsortiumKeyHex[] =
    "5d1a7c0f9e2b48c36a0d4f1e8b7c2a9053e61f4d7b8a0c2e9f1d3b5a7c9e0f12";
inline constexpr char kTestConsortiumId[] = "test-consortium";

// A fresh directory under $TMPDIR, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class GatewaydProcess {
 public:
  // `extra_channel_settings` is appended to the [channel.test] table.
  GatewaydProcess(std::string state_dir, std::string extra_channel_settings = "");
  ~GatewaydProcess();  // SIGKILLs a still-running child

  // Starts and waits until it logs "event=ready". On failure the error holds
  // what gatewayd (or provisioning) printed.
  gw::Status start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  uint16_t port() const { return port_; }  // channel "test"
  pid_t pid() const { return pid_; }       // -1 when not running (e.g. for /proc/<pid>)
  // Every channel's port, from the "event=listening" lines.
  std::map<std::string, uint16_t> channel_ports() const;
  // SIGTERM and wait; returns the exit status (or -1).
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void kill_hard();            // SIGKILL and reap
  std::string output() const;  // everything written to stdout/stderr so far
  const std::string& config_path() const { return config_path_; }
  const std::string& db_path() const { return db_path_; }
  // The swtpm's TCTI string (for tests that talk to the same TPM).
  std::string tcti() const;

 private:
  void reader_loop(int fd);
  gw::Status provision();

  std::string state_dir_, config_path_, db_path_;
  std::unique_ptr<tpm::testing::SwtpmProcess> swtpm_;
  bool provisioned_ = false;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::thread reader_;
  mutable std::mutex out_mu_;
  std::string out_;  // guarded by out_mu_
};

// Paths baked in at build time; $GW_TEST_GATEWAYD names another gatewayd
// binary (to measure an older build with the same test).
std::string gatewayd_path();
std::string gatewayctl_path();
std::string corpus_dir();  // tests/corpus/hl7

// Reads a whole file; empty on error.
std::string read_file(const std::string& path);
// Runs a command, returns exit status and captures stdout+stderr. A command
// still running after `timeout` is killed: -1, and the output says so.
int run_command(const std::vector<std::string>& argv, std::string* output,
                std::chrono::milliseconds timeout = std::chrono::seconds(120));
// The same with stdout and stderr captured separately (the timeout noted in
// *stderr_text).
int run_command(const std::vector<std::string>& argv, std::string* stdout_text,
                std::string* stderr_text,
                std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace gw::testing
