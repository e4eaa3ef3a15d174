#include "ledger-client/testing/anvil_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "ledger-client/keccak/keccak.h"

#ifndef GW_DEFAULT_NPM_MODULES_DIR
#define GW_DEFAULT_NPM_MODULES_DIR ""
#endif

namespace gw::ledger::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kAnvilRelative = "/@foundry-rs/anvil-linux-amd64/bin/anvil";
constexpr auto kStartTimeout = std::chrono::seconds(20);
constexpr auto kStopTimeout = std::chrono::seconds(10);

// The ten keys anvil derives from "test test test test test test test test
// test test test junk" (m/44'/60'/0'/0/i); public test keys, never secrets.
constexpr const char* kDevKeys[10] = {
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tail(const std::string& s) { return s.size() > 2000 ? s.substr(s.size() - 2000) : s; }

// The port of anvil's "Listening on 127.0.0.1:P" line, 0 if not there yet.
int listening_port(const std::string& log) {
  constexpr std::string_view kPrefix = "Listening on 127.0.0.1:";
  auto at = log.find(kPrefix);
  if (at == std::string::npos) return 0;
  int port = 0;
  for (size_t i = at + kPrefix.size(); i < log.size() && std::isdigit((unsigned char)log[i]); ++i) {
    port = port * 10 + (log[i] - '0');
    if (port > 65535) return 0;
  }
  // The number may still be half-written; a newline says it is complete.
  auto end = log.find('\n', at);
  return end == std::string::npos ? 0 : port;
}

std::string format_double(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

Status raw_call(JsonRpcClient& rpc, std::string_view method, const std::string& params) {
  auto r = rpc.call(method, params);
  if (!r.ok()) return r.error().to_status();
  return ok_status();
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  // mkdtemp() replaces the trailing Xs with a unique suffix.
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/gwanvil.XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string AnvilProcess::binary_path() {
  if (const char* a = std::getenv("ANVIL"); a && *a) return a;
  if (const char* d = std::getenv("GW_NPM_MODULES_DIR"); d && *d)
    return std::string(d) + kAnvilRelative;
  return std::string(GW_DEFAULT_NPM_MODULES_DIR) + kAnvilRelative;
}

std::array<uint8_t, 32> AnvilProcess::dev_key(int index) {
  if (index < 0 || index >= 10) std::abort();
  auto bytes = from_hex(kDevKeys[index]);
  if (!bytes || bytes->size() != 32) std::abort();
  std::array<uint8_t, 32> key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

Address AnvilProcess::dev_address(int index) {
  auto key = dev_key(index);
  auto a = address_of(key);
  if (!a) std::abort();
  return *a;
}

Result<std::unique_ptr<AnvilProcess>> AnvilProcess::start(const AnvilOptions& options) {
  const std::string binary = binary_path();
  if (::access(binary.c_str(), X_OK) != 0) {
    return failed_precondition_error("anvil not found at " + binary +
                                     ": run image/install-deps.sh or set $ANVIL");
  }
  std::unique_ptr<AnvilProcess> p(new AnvilProcess());
  p->dir_ = std::make_unique<TempDir>();
  if (p->dir_->path().empty()) {
    return unavailable_error("cannot create a temporary directory for anvil's log");
  }
  p->log_path_ = p->dir_->path() + "/anvil.log";

  std::vector<std::string> args = {binary,
                                   "--host",
                                   "127.0.0.1",
                                   "--port",
                                   std::to_string(options.port),
                                   "--chain-id",
                                   std::to_string(options.chain_id),
                                   "--hardfork",
                                   options.hardfork};
  if (!options.state_file.empty()) {
    args.insert(args.end(), {"--state", options.state_file});
    if (options.state_interval_s)
      args.insert(args.end(), {"--state-interval", format_double(*options.state_interval_s)});
  }
  if (options.no_mining) args.push_back("--no-mining");
  if (options.block_time_s)
    args.insert(args.end(), {"--block-time", format_double(*options.block_time_s)});
  if (options.base_fee) args.insert(args.end(), {"--base-fee", std::to_string(*options.base_fee)});
  if (options.gas_price)
    args.insert(args.end(), {"--gas-price", std::to_string(*options.gas_price)});
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // A restart on a fixed port can race the old process's socket teardown;
  // retry a few times when anvil exits during start-up.
  std::string log;
  for (int attempt = 0; attempt < 5; ++attempt) {
    int log_fd = ::open(p->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) {
      if (log_fd >= 0) ::close(log_fd);
      if (null_fd >= 0) ::close(null_fd);
      return unavailable_error("cannot open " + p->log_path_);
    }
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
      // Only async-signal-safe calls from here on (the parent may have threads).
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) _exit(126);
      ::dup2(null_fd, 0);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(log_fd);
    ::close(null_fd);
    if (pid < 0) {
      return unavailable_error("fork failed for anvil");
    }
    p->pid_ = pid;
    const auto deadline = Clock::now() + kStartTimeout;
    bool exited = false;
    while (Clock::now() < deadline) {
      log = read_file(p->log_path_);
      if (int port = listening_port(log); port != 0) {
        p->port_ = port;
        return p;
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        p->pid_ = -1;
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!exited) {
      p->kill();
      return deadline_exceeded_error("anvil did not report listening within 20 s; its log:\n" +
                                     tail(log));
    }
    log = read_file(p->log_path_);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  return unavailable_error("anvil exited during start-up; its log:\n" + tail(log));
}

AnvilProcess::~AnvilProcess() { stop(); }

std::string AnvilProcess::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void AnvilProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + kStopTimeout;
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill();
}

void AnvilProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

Status mine(JsonRpcClient& rpc, int blocks) {
  for (int i = 0; i < blocks; ++i) {
    GW_RETURN_IF_ERROR(raw_call(rpc, "evm_mine", "[]"));
  }
  return ok_status();
}

Status increase_time(JsonRpcClient& rpc, uint64_t seconds) {
  return raw_call(rpc, "evm_increaseTime", "[" + std::to_string(seconds) + "]");
}

Status set_balance(JsonRpcClient& rpc, const Address& account, const Uint256& wei) {
  return raw_call(rpc, "anvil_setBalance",
                  "[\"0x" + to_hex(account) + "\",\"" + wei.to_hex() + "\"]");
}

Status set_next_base_fee(JsonRpcClient& rpc, uint64_t wei) {
  return raw_call(rpc, "anvil_setNextBlockBaseFeePerGas",
                  "[\"" + Uint256::from_u64(wei).to_hex() + "\"]");
}

Status set_automine(JsonRpcClient& rpc, bool on) {
  return raw_call(rpc, "evm_setAutomine", on ? "[true]" : "[false]");
}

}  // namespace gw::ledger::testing
