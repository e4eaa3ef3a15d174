// Test fixture: a real software TPM (swtpm 0.7.x, TPM 2.0) as a child process
// on free loopback ports, for tests and benchmarks of tpm/ and its users.
//
// swtpm serves ONE client connection at a time: a second gw::tpm::Tpm opened
// on the same swtpm waits until the first one is destroyed. Open them one
// after the other (as gatewayd and gatewayctl would be, in turn).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "gateway/base/status.h"

namespace gw::tpm::testing {

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

class SwtpmProcess {
 public:
  // Starts `swtpm socket --tpm2 --server type=tcp,bindaddr=127.0.0.1,port=P
  // --ctrl type=tcp,bindaddr=127.0.0.1,port=P+1 --tpmstate dir=<state_dir>
  // --flags not-need-init,startup-clear` on free ports (retrying if another
  // process takes them first) and waits until it accepts connections.
  // state_dir (created if missing) keeps the TPM's state between restarts, so
  // a test can stop and start "the same TPM" again. swtpm's own output goes to
  // <state_dir>/swtpm.log.
  static Result<std::unique_ptr<SwtpmProcess>> start(const std::string& state_dir);
  ~SwtpmProcess();  // stop()
  SwtpmProcess(const SwtpmProcess&) = delete;
  SwtpmProcess& operator=(const SwtpmProcess&) = delete;

  // TCTI configuration string for gw::tpm::TpmOptions::tcti and tpm2-tools'
  // -T / TPM2TOOLS_TCTI: "swtpm:host=127.0.0.1,port=P".
  std::string tcti() const;
  int port() const { return port_; }
  // Stops swtpm (SIGTERM, then SIGKILL if it has not exited within 2 s) and
  // reaps it. Persistent objects survive: swtpm writes its NV state file
  // whenever the TPM changes it. Safe to call twice.
  void stop();

 private:
  SwtpmProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace gw::tpm::testing
