// Fuzz target: the files a verifier or operator hands to tpm/attest are
// untrusted (PCR files, tpm2_makecredential output, quote message and
// signature). No input may crash the parsers or verify_quote, and a PCR file
// they accept must mean the same after writing it out again.
#include <cstdlib>

#include "tpm/attest/attest_internal.h"
#include "tpm/attest/quote.h"

namespace {

// The AK of the seed quote (corpus quote.bin: u16 message length, message,
// signature), made by tpm2_createak/tpm2_quote on swtpm, qualifying data
// 0011223344, PCRs sha256:0,1,2,3 zero and 16 = SHA-256(zeros || 00..01).
const char kAkPem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+srJM/qHolSw9Ij5K270XDTzC2Oe\n"
    "hhXYsSc3QEPOQfmX2iBJdLehBCe9mDMl+hYigxgcjBt2qdirXwb2w0G4zA==\n"
    "-----END PUBLIC KEY-----\n";
const uint8_t kPcr16[32] = {0x90, 0xf4, 0xb3, 0x95, 0x48, 0xdf, 0x55, 0xad, 0x61, 0x87, 0xa1,
                            0xd2, 0x0d, 0x73, 0x1e, 0xce, 0xe7, 0x8c, 0x54, 0x5b, 0x94, 0xaf,
                            0xd1, 0x6f, 0x42, 0xef, 0x75, 0x92, 0xd9, 0x9c, 0xd3, 0x65};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gw::tpm;
  const std::span<const uint8_t> in(data, size);
  PcrSelection sel;
  std::vector<std::vector<uint8_t>> values;
  if (parse_pcrs_file(in, &sel, &values).ok()) {
    // Padding and unused slots may differ from ours; the meaning may not.
    PcrSelection sel2;
    std::vector<std::vector<uint8_t>> values2;
    if (!parse_pcrs_file(pcrs_file_bytes(sel, values), &sel2, &values2).ok() ||
        sel2.bank != sel.bank || sel2.pcrs != sel.pcrs || values2 != values) {
      std::abort();
    }
  }

  attest::CredentialFile cred;
  attest::parse_credential_file(in, &cred).ignore();  // only must not crash

  if (size >= 2) {
    const size_t msg_len = std::min<size_t>(size - 2, static_cast<size_t>(data[0] << 8 | data[1]));
    Quote q;
    q.message.assign(data + 2, data + 2 + msg_len);
    q.signature.assign(data + 2 + msg_len, data + size);
    q.selection = {"sha256", {0, 1, 2, 3, 16}};
    q.pcr_values.assign(4, std::vector<uint8_t>(32, 0));
    q.pcr_values.emplace_back(kPcr16, kPcr16 + 32);
    const uint8_t qualifying[] = {0x00, 0x11, 0x22, 0x33, 0x44};
    verify_quote(q, kAkPem, qualifying).ignore();  // only must not crash
  }
  return 0;
}
