#include "tests/support/gatewayd_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

std::string gatewayd_path() { return GW_GATEWAYD_PATH; }
std::string gatewayctl_path() { return GW_GATEWAYCTL_PATH; }
std::string corpus_dir() { return GW_CORPUS_DIR; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run_command(const std::vector<std::string>& argv, std::string* output) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) output->append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_command(const std::vector<std::string>& argv, std::string* out, std::string* err) {
  int out_fds[2], err_fds[2];
  if (::pipe(out_fds) != 0) return -1;
  if (::pipe(err_fds) != 0) {
    ::close(out_fds[0]);
    ::close(out_fds[1]);
    return -1;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fds[1], 1);
    ::dup2(err_fds[1], 2);
    for (int fd : {out_fds[0], out_fds[1], err_fds[0], err_fds[1]}) ::close(fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(out_fds[1]);
  ::close(err_fds[1]);
  // Drain stderr on a thread so neither pipe can fill and block the child.
  std::thread err_reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(err_fds[0], buf, sizeof buf)) > 0) err->append(buf, static_cast<size_t>(n));
  });
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out_fds[0], buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
  err_reader.join();
  ::close(out_fds[0]);
  ::close(err_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

GatewaydProcess::GatewaydProcess(std::string state_dir, std::string extra)
    : state_dir_(std::move(state_dir)) {
  config_path_ = state_dir_ + "/gatewayd.toml";
  config::GatewayConfig where;
  where.state_dir = state_dir_ + "/state";
  db_path_ = where.message_store_path();
  std::string error;
  swtpm_ = tpm::testing::SwtpmProcess::start(state_dir_ + "/swtpm", &error);
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
