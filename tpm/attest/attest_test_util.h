// Shared by the tests of tpm/attest: files, tpm2-tools and openssl on the
// command line as the independent verifiers, and a check that nothing was
// left loaded in the TPM.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "tpm/attest/attest_internal.h"
#include "tpm/core/tpm_test_util.h"

namespace gw::tpm::testing {

// Fails the test (never skips it) if a command-line tool is not installed.
inline ::testing::AssertionResult tool_installed(const std::string& tool) {
  std::string out;
  if (run_shell("command -v " + tool, &out) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << tool << " is not installed (Debian packages tpm2-tools, openssl): these tests need it "
         << "as the independent verifier";
}

// Runs a command; returns its exit code (the shell's, 0..255) and appends
// its output to *out.
inline int run(const std::string& command, std::string* out) {
  const int status = run_shell(command, out);
  return status < 0 ? -1 : WEXITSTATUS(status);
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::vector<uint8_t> out;
  auto r = attest::read_file(path, 1 << 20, &out);
  EXPECT_TRUE(r.ok()) << r.message();
  return out;
}

inline void write_bytes(const std::string& path, std::span<const uint8_t> bytes) {
  auto r2 = attest::write_file(path, bytes);
  EXPECT_TRUE(r2.ok()) << r2.message();
}

// Copies the files of a quote directory, flipping one bit of one file.
inline void copy_with_flipped_bit(const std::string& from, const std::string& to,
                                  const std::string& file, size_t offset) {
  auto r3 = attest::make_dir(to);
  ASSERT_TRUE(r3.ok()) << r3.message();
  for (const char* f :
       {"quote.msg", "quote.sig", "quote.pcrs", "ak.pub.pem", "qualifying-data.hex"}) {
    std::vector<uint8_t> bytes = read_bytes(from + "/" + f);
    if (file == f) {
      ASSERT_LT(offset, bytes.size());
      bytes[offset] ^= 0x01;
    }
    write_bytes(to + "/" + f, bytes);
  }
}

// Transient objects and sessions the TPM holds (swtpm has no resource
// manager, so leaks would show here).
inline void expect_no_tpm_handles(Tpm& tpm) {
  EXPECT_EQ(tpm_handle_count(tpm, TPM2_HT_TRANSIENT), 0);
  EXPECT_EQ(tpm_handle_count(tpm, TPM2_HT_LOADED_SESSION), 0);
}

}  // namespace gw::tpm::testing
