#include "tpm/testing/swtpm_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

namespace gw::tpm::testing {
namespace {

constexpr const char* kSwtpmPath = "/usr/bin/swtpm";

// A loopback TCP socket bound to `port` (0 = any free one); -1 on failure.
int bind_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  // As swtpm's own listening sockets do: a port whose last connection is in
  // TIME_WAIT (common right after other tests) is free for a listener.
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A port P such that P and P+1 are both free right now (another process may
// still take them before swtpm binds; start() retries then). Chosen below the
// kernel's ephemeral range (32768 and up by default): ports there are taken
// by outgoing connections and stay in TIME_WAIT after them, and after a test
// suite's many loopback connections finding two adjacent free ones there can
// fail. Random, so parallel tests rarely collide.
int pick_port_pair() {
  std::random_device rd;
  std::mt19937 rng(rd());
  std::uniform_int_distribution<int> dist(20000, 32000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = dist(rng);
    int a = bind_loopback(port);
    if (a < 0) continue;
    int b = bind_loopback(port + 1);
    ::close(a);
    if (b >= 0) {
      ::close(b);
      return port;
    }
  }
  return 0;
}

bool accepts_connections(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string tail_of_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  // mkdtemp replaces the template's trailing six X characters with random ones.
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/gwtpm.XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

Result<std::unique_ptr<SwtpmProcess>> SwtpmProcess::start(const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return failed_precondition_error("cannot create swtpm state directory " + state_dir + ": " +
                                     ec.message());
  }
  if (::access(kSwtpmPath, X_OK) != 0) {
    return failed_precondition_error(std::string(kSwtpmPath) +
                                     " not found: install the Debian package swtpm");
  }
  const std::string log_path = state_dir + "/swtpm.log";
  std::string last_failure;
  for (int attempt = 0; attempt < 10; ++attempt) {
    int port = pick_port_pair();
    if (port == 0) {
      return unavailable_error("no free loopback port pair for swtpm");
    }
    // Everything the child needs is prepared before fork(): after fork() in a
    // multi-threaded process only async-signal-safe calls are allowed.
    std::vector<std::string> args = {
        kSwtpmPath,
        "socket",
        "--tpm2",
        "--server",
        "type=tcp,bindaddr=127.0.0.1,port=" + std::to_string(port),
        "--ctrl",
        "type=tcp,bindaddr=127.0.0.1,port=" + std::to_string(port + 1),
        "--tpmstate",
        "dir=" + state_dir,
        "--flags",
        "not-need-init,startup-clear",
    };
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (log_fd < 0 || null_fd < 0) {
      if (log_fd >= 0) ::close(log_fd);
      if (null_fd >= 0) ::close(null_fd);
      return unavailable_error("cannot open " + log_path);
    }
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
      // Die with the test process, so a crashed test leaves no swtpm behind.
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
      return unavailable_error("fork failed for swtpm");
    }
    std::unique_ptr<SwtpmProcess> p(new SwtpmProcess());
    p->pid_ = pid;
    p->port_ = port;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        p->pid_ = -1;
        exited = true;
        break;
      }
      if (accepts_connections(port + 1) && accepts_connections(port)) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    last_failure = exited ? "swtpm exited during start-up" : "swtpm did not accept connections";
    // Most likely another process took a port between pick_port_pair() and
    // swtpm's bind(); try another pair.
  }
  return unavailable_error(last_failure + " (state " + state_dir + "); its log:\n" +
                           tail_of_file(log_path));
}

SwtpmProcess::~SwtpmProcess() { stop(); }

std::string SwtpmProcess::tcti() const {
  return "swtpm:host=127.0.0.1,port=" + std::to_string(port_);
}

void SwtpmProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace gw::tpm::testing
