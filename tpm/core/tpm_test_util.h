// Shared by the tests of tpm/core: a swtpm per test (own state directory),
// OpenSSL references, and an independent look at the TPM's loaded handles.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tpm/core/tpm.h"
#include "tpm/core/tpm_internal.h"
#include "tpm/testing/swtpm_process.h"

namespace gw::tpm::testing {

inline std::unique_ptr<SwtpmProcess> start_swtpm(const std::string& state_dir) {
  auto p = SwtpmProcess::start(state_dir);
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? std::move(*p) : nullptr;
}

inline std::unique_ptr<Tpm> open_tpm(const SwtpmProcess& swtpm, TpmOptions options = {}) {
  options.tcti = swtpm.tcti();
  auto tpm = Tpm::open(options);
  EXPECT_TRUE(tpm.ok()) << tpm.error().message();
  return tpm.ok() ? std::move(*tpm) : nullptr;
}

// A fresh swtpm with a provisioned primary and a Tpm open on it.
class ProvisionedTpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    swtpm_ = start_swtpm(dir_.path() + "/tpm");
    ASSERT_NE(swtpm_, nullptr);
    tpm_ = open_tpm(*swtpm_);
    ASSERT_NE(tpm_, nullptr);
    auto info = tpm_->ensure_primary();
    ASSERT_TRUE(info) << info.status().message();
  }
  // Members are destroyed in reverse: the Tpm disconnects before swtpm stops.
  TempDir dir_;
  std::unique_ptr<SwtpmProcess> swtpm_;
  std::unique_ptr<Tpm> tpm_;
};

inline std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

inline std::array<uint8_t, 32> openssl_hmac_sha256(std::span<const uint8_t> key,
                                                   std::span<const uint8_t> data) {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
       &len);
  return out;
}

inline std::array<uint8_t, 32> sha256(std::span<const uint8_t> data) {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

// How many handles of a type (TPM2_HT_TRANSIENT, TPM2_HT_LOADED_SESSION,
// TPM2_HT_SAVED_SESSION) the TPM holds, asked with GetCapability; -1 on info.status().message().
inline int tpm_handle_count(Tpm& tpm, TPM2_HT type) {
  internal::TpmState& s = internal::state(tpm);
  std::lock_guard<std::mutex> lock(s.mu);
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  TSS2_RC rc =
      Esys_GetCapability(s.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                         static_cast<UINT32>(type) << 24, 64, &more, &raw);
  internal::EsysPtr<TPMS_CAPABILITY_DATA> data(raw);
  if (rc != TSS2_RC_SUCCESS) return -1;
  int n = 0;
  for (UINT32 i = 0; i < data->data.handles.count; ++i) {
    if ((data->data.handles.handle[i] >> 24) == type) ++n;
  }
  return n;
}

// Runs a shell command (tpm2-tools, openssl), returning its wait status;
// output in *out. It runs under timeout(1): a tool stuck on the TPM is killed
// after `timeout_s` (exit status 124, noted in *out) and fails its test
// instead of hanging it.
inline int run_shell(const std::string& command, std::string* out, int timeout_s = 120) {
  std::string quoted = "'";
  for (char c : command + " 2>&1") quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  const std::string line = "timeout -k 5 " + std::to_string(timeout_s) + " sh -c " + quoted;
  FILE* p = ::popen(line.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int status = ::pclose(p);
  if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 124) {
    out->append("\n[test: `" + command + "` did not finish within " + std::to_string(timeout_s) +
                " s; killed]\n");
  }
  return status;
}

}  // namespace gw::tpm::testing
