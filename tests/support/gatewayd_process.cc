#include "tests/support/gatewayd_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/config/config.h"
#include "tpm/testing/swtpm_process.h"

namespace gw::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  // mkdtemp replaces the trailing XXXXXX of its template with random characters.
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/gwtest.XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string gatewayd_path() {
  const char* other = std::getenv("GW_TEST_GATEWAYD");
  return other != nullptr && *other != '\0' ? other : GW_GATEWAYD_PATH;
}
std::string gatewayctl_path() { return GW_GATEWAYCTL_PATH; }
std::string corpus_dir() { return GW_CORPUS_DIR; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {

// Starts argv[0] with stdout on out_fd and stderr on err_fd; -1 if fork failed.
// The pipes are O_CLOEXEC: only the descriptors dup2'ed to 1 and 2 reach the
// child, and no other process started meanwhile keeps a write end open.
pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Reads the child's pipes (err_fd may be -1) until both are closed, then
// reaps it; the exit status, or -1. A child still running at `timeout` (or
// holding its pipes open) is killed, and *diagnostics says so, so that a hung
// command fails its test instead of hanging it.
int collect(pid_t pid, const std::string& what, int out_fd, std::string* out, int err_fd,
            std::string* err, std::chrono::milliseconds timeout, std::string* diagnostics) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<int64_t>(0, left.count()));
  };
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {out, err};
  int open = err_fd >= 0 ? 2 : 1;
  bool timed_out = false;
  while (open > 0) {
    const int left = remaining_ms();
    if (left == 0) {
      timed_out = true;
      break;
    }
    const int n = ::poll(fds, err_fd >= 0 ? 2 : 1, left);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; n > 0 && i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;  // poll skips negative descriptors
        --open;
      }
    }
  }
  int status = 0;
  bool reaped = false;
  while (!timed_out) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      reaped = true;
      break;
    }
    if (remaining_ms() == 0) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!reaped) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  if (timed_out) {
    diagnostics->append("\n[test support: " + what + " did not finish within " +
                        std::to_string(timeout.count()) + " ms; killed]\n");
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int run_command(const std::vector<std::string>& argv, std::string* output,
                std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return -1;
  const pid_t pid = spawn(argv, fds[1], fds[1]);
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return -1;
  }
  const int status = collect(pid, argv[0], fds[0], output, -1, nullptr, timeout, output);
  ::close(fds[0]);
  return status;
}

int run_command(const std::vector<std::string>& argv, std::string* out, std::string* err,
                std::chrono::milliseconds timeout) {
  int out_fds[2], err_fds[2];
  if (::pipe2(out_fds, O_CLOEXEC) != 0) return -1;
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    ::close(out_fds[0]);
    ::close(out_fds[1]);
    return -1;
  }
  const pid_t pid = spawn(argv, out_fds[1], err_fds[1]);
  ::close(out_fds[1]);
  ::close(err_fds[1]);
  int status = -1;
  if (pid >= 0) status = collect(pid, argv[0], out_fds[0], out, err_fds[0], err, timeout, err);
  ::close(out_fds[0]);
  ::close(err_fds[0]);
  return status;
}

GatewaydProcess::GatewaydProcess(std::string state_dir, std::string extra)
    : state_dir_(std::move(state_dir)) {
  config_path_ = state_dir_ + "/gatewayd.toml";
  config::GatewayConfig where;
  where.state_dir = state_dir_ + "/state";
  db_path_ = where.message_store_path();
  std::string error;
  if (auto started = tpm::testing::SwtpmProcess::start(state_dir_ + "/swtpm"); started.ok()) {
    swtpm_ = std::move(*started);
  } else {
    error = started.error().message();
  }
  std::ofstream cfg(config_path_);
  cfg << "[gateway]\nstate_dir = \"" << state_dir_ << "/state\"\nlog_level = \"info\"\n"
      << "shutdown_grace_ms = 5000\n\n"
      << "[keys]\nconsortium_id = \"" << kTestConsortiumId << "\"\n\n"
      << "[tpm]\ntcti = \"" << (swtpm_ ? swtpm_->tcti() : "swtpm-failed:" + error) << "\"\n\n"
      << "[channel.test]\nlisten = \"127.0.0.1:0\"\n"
      << extra << "\n";
}

std::string GatewaydProcess::tcti() const { return swtpm_ ? swtpm_->tcti() : ""; }

gw::Status GatewaydProcess::provision() {
  if (provisioned_) return ok_status();
  if (!swtpm_) return unavailable_error("swtpm did not start");
  const std::string key_file = state_dir_ + "/consortium.key";
  {
    std::ofstream k(key_file);
    k << kTestConsortiumKeyHex << "\n";
  }
  std::string out;
  // A second GatewaydProcess on the same state directory (a restart) finds
  // the TPM provisioned and the consortium key imported.
  const bool imported = std::filesystem::exists(state_dir_ + "/state/keys/consortium.blob");
  if (run_command({gatewayctl_path(), "tpm", "provision", "--config", config_path_}, &out) != 0 ||
      (!imported && run_command({gatewayctl_path(), "tpm", "import-consortium-key", "--config",
                                 config_path_, key_file},
                                &out) != 0)) {
    return internal_error("provisioning the test TPM failed:\n" + out);
  }
  ::unlink(key_file.c_str());
  provisioned_ = true;
  return ok_status();
}

GatewaydProcess::~GatewaydProcess() {
  if (pid_ > 0) kill_hard();
  if (reader_.joinable()) reader_.join();
}

gw::Status GatewaydProcess::start(std::chrono::milliseconds timeout) {
  GW_RETURN_IF_ERROR(provision());
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return internal_error("pipe failed");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    std::string bin = gatewayd_path();
    ::execl(bin.c_str(), bin.c_str(), "--config", config_path_.c_str(), nullptr);
    _exit(127);
  }
  ::close(fds[1]);
  if (reader_.joinable()) reader_.join();
  {
    std::lock_guard<std::mutex> lock(out_mu_);
    out_.clear();
  }
  reader_ = std::thread([this, fd = fds[0]] { reader_loop(fd); });
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string out = output();
    size_t ready = out.find("event=ready");
    if (ready != std::string::npos) {
      size_t at = out.find("event=listening");
      size_t addr = out.find("address=127.0.0.1:", at);
      if (at == std::string::npos || addr == std::string::npos) {
        return internal_error("gatewayd is ready but logged no listening address:\n" + out);
      }
      port_ = static_cast<uint16_t>(std::atoi(out.c_str() + addr + 18));
      // Other listeners (peering) may log first: the test channel's port.
      if (auto ports = channel_ports(); ports.count("test") != 0) port_ = ports["test"];
      return ok_status();
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return unavailable_error("gatewayd exited during start-up:\n" + output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return deadline_exceeded_error("gatewayd did not become ready:\n" + output());
}

void GatewaydProcess::reader_loop(int fd) {
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    std::lock_guard<std::mutex> lock(out_mu_);
    out_.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
}

int GatewaydProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (reader_.joinable()) reader_.join();
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill_hard();
  return -1;
}

void GatewaydProcess::kill_hard() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
}

std::map<std::string, uint16_t> GatewaydProcess::channel_ports() const {
  std::map<std::string, uint16_t> ports;
  std::istringstream lines(output());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("event=listening") == std::string::npos) continue;
    size_t ch = line.find(" channel=");
    size_t addr = line.find("address=127.0.0.1:");
    if (ch == std::string::npos || addr == std::string::npos) continue;
    std::string name = line.substr(ch + 9, line.find(' ', ch + 9) - (ch + 9));
    ports[name] = static_cast<uint16_t>(std::atoi(line.c_str() + addr + 18));
  }
  return ports;
}

std::string GatewaydProcess::output() const {
  std::lock_guard<std::mutex> lock(out_mu_);
  return out_;
}

}  // namespace gw::testing
