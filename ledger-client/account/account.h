// Ethereum accounts: secp256k1 private keys and their addresses.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace gw::ledger {

using Address = std::array<uint8_t, 20>;

// True if `key` is a valid secp256k1 private key (0 < key < n).
bool is_valid_private_key(std::span<const uint8_t, 32> key);

// Fills `out` with a fresh valid private key from the OS random source
// (libsodium randombytes). False only if secp256k1 cannot start.
bool generate_private_key(std::span<uint8_t, 32> out);

// keccak256(uncompressed public key without its 0x04 prefix)[12..32].
// nullopt if the key is invalid.
std::optional<Address> address_of(std::span<const uint8_t, 32> private_key);

// "0x" + 40 hex digits with the EIP-55 mixed-case checksum.
std::string to_checksum_hex(const Address& address);

}  // namespace gw::ledger
