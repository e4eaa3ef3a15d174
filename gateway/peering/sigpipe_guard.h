// Internal to gateway/peering: no SIGPIPE from a peer that hung up.
//
// Poco's TLS sockets write through OpenSSL's socket BIO, which uses write(2):
// writing to a connection the peer has reset raises SIGPIPE, whose default
// action ends the process. gatewayd ignores the signal, but this library must
// not depend on every program that links it (gatewayctl, tests) doing so.
// SIGPIPE from a write is sent to the writing thread, so blocking it there
// for the duration of the exchange is enough; a SIGPIPE raised meanwhile is
// consumed before the thread's mask is restored (the technique of libcurl's
// sigpipe_ignore and git's). The write itself still fails with EPIPE.
#pragma once

#include <signal.h>
#include <time.h>

namespace gw::peering::internal {

class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

}  // namespace gw::peering::internal
