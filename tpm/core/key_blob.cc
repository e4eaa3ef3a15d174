#include "tpm/core/key_blob.h"

#include <tss2/tss2_mu.h>

#include <cstring>

namespace gw::tpm {
namespace {

constexpr uint8_t kMagic[8] = {'G', 'W', 'T', 'P', 'M', 'K', 'B', 0};
constexpr uint8_t kVersion = 1;
constexpr size_t kMaxArea = 4096;  // far above sizeof(TPM2B_PUBLIC/PRIVATE)

void put_u32(std::vector<uint8_t>* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<uint8_t>(v >> shift));
}

// Reads a length-prefixed area at *at; false if it does not fit.
bool get_area(std::span<const uint8_t> in, size_t* at, std::vector<uint8_t>* out) {
  if (in.size() - *at < 4) return false;
  uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len = (len << 8) | in[*at + i];
  *at += 4;
  if (len > kMaxArea || in.size() - *at < len) return false;
  out->assign(in.begin() + static_cast<std::ptrdiff_t>(*at),
              in.begin() + static_cast<std::ptrdiff_t>(*at + len));
  *at += len;
  return true;
}

}  // namespace

std::vector<uint8_t> serialize_blob(const KeyBlob& blob) {
  std::vector<uint8_t> out(std::begin(kMagic), std::end(kMagic));
  out.push_back(kVersion);
  put_u32(&out, static_cast<uint32_t>(blob.public_area.size()));
  out.insert(out.end(), blob.public_area.begin(), blob.public_area.end());
  put_u32(&out, static_cast<uint32_t>(blob.private_area.size()));
  out.insert(out.end(), blob.private_area.begin(), blob.private_area.end());
  return out;
}

Result<KeyBlob> parse_blob(std::span<const uint8_t> bytes) {
  if (bytes.size() < sizeof kMagic + 1 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return invalid_argument_error("not a gateway TPM key blob (bad magic)");
  }
  if (bytes[sizeof kMagic] != kVersion) {
    return invalid_argument_error("unsupported TPM key blob version " +
                                  std::to_string(bytes[sizeof kMagic]) +
                                  " (this build reads version " + std::to_string(kVersion) + ")");
  }
  KeyBlob blob;
  size_t at = sizeof kMagic + 1;
  if (!get_area(bytes, &at, &blob.public_area) || !get_area(bytes, &at, &blob.private_area)) {
    return invalid_argument_error("TPM key blob is truncated or has an impossible length");
  }
  if (at != bytes.size()) {
    return invalid_argument_error("TPM key blob has " + std::to_string(bytes.size() - at) +
                                  " unexpected trailing bytes");
  }
  TPM2B_PUBLIC pub{};
  size_t offset = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(blob.public_area.data(), blob.public_area.size(), &offset,
                                     &pub) != TSS2_RC_SUCCESS ||
      offset != blob.public_area.size()) {
    return invalid_argument_error("TPM key blob's public area is not a valid TPM2B_PUBLIC");
  }
  TPM2B_PRIVATE priv{};
  offset = 0;
  if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(blob.private_area.data(), blob.private_area.size(), &offset,
                                      &priv) != TSS2_RC_SUCCESS ||
      offset != blob.private_area.size() || priv.size == 0) {
    return invalid_argument_error("TPM key blob's private area is not a valid TPM2B_PRIVATE");
  }
  return blob;
}

}  // namespace gw::tpm
