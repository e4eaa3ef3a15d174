// The on-disk form of a TPM object created under the storage primary: its
// public area and its TPM-wrapped private area. The private area is encrypted
// and integrity-protected by the TPM with a key derived from this TPM's
// primary, so a blob is useless anywhere else and safe to keep in the state
// directory. No TPM is needed to read or write the format.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/base/status.h"

namespace gw::tpm {

// TPM2B_PUBLIC and TPM2B_PRIVATE, each marshaled with tss2-mu (big-endian TPM
// wire format, including their 2-byte size prefixes).
struct KeyBlob {
  std::vector<uint8_t> public_area, private_area;
};

// File format, version 1: "GWTPMKB" '\0', version byte 0x01, then
// public_area and private_area each as a 4-byte big-endian length and bytes.
std::vector<uint8_t> serialize_blob(const KeyBlob& blob);

// Parses serialize_blob's format and checks that both areas unmarshal as a
// TPM2B_PUBLIC / TPM2B_PRIVATE with nothing left over. Bytes are untrusted
// (read from disk): any malformed input gives kInvalidArgument, never a crash.
Result<KeyBlob> parse_blob(std::span<const uint8_t> bytes);

}  // namespace gw::tpm
