// Ethereum transactions the gateway signs itself: EIP-1559 (type 2, the
// default) and legacy with EIP-155 replay protection (for chains without
// London rules). Builds the signing payload, signs with a 32-byte secp256k1
// key, produces the raw bytes for eth_sendRawTransaction, and decodes raw
// transactions back (from the network or our outbox) to check them and
// recover the sender.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/account/account.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rlp/uint256.h"
#include "ledger-client/tx/signature.h"

namespace gw::ledger {

// EIP-2930 access list entry: storage slots the transaction will touch.
struct AccessListEntry {
  Address address{};
  std::vector<Hash256> storage_keys;
  friend bool operator==(const AccessListEntry&, const AccessListEntry&) = default;
};

// EIP-1559 transaction: 0x02 || rlp([chain_id, nonce, max_priority_fee_per_gas,
// max_fee_per_gas, gas_limit, to, value, data, access_list]).
struct Eip1559Tx {
  uint64_t chain_id = 0;
  uint64_t nonce = 0;
  Uint256 max_priority_fee_per_gas;
  Uint256 max_fee_per_gas;
  uint64_t gas_limit = 0;
  std::optional<Address> to;  // nullopt: contract creation
  Uint256 value;
  std::vector<uint8_t> data;
  std::vector<AccessListEntry> access_list;
  friend bool operator==(const Eip1559Tx&, const Eip1559Tx&) = default;
};

// Legacy transaction: rlp([nonce, gas_price, gas_limit, to, value, data]),
// signed over EIP-155's [..., chain_id, 0, 0] when chain_id is set.
struct LegacyTx {
  uint64_t nonce = 0;
  Uint256 gas_price;
  uint64_t gas_limit = 0;
  std::optional<Address> to;  // nullopt: contract creation
  Uint256 value;
  std::vector<uint8_t> data;
  // nullopt only for pre-EIP-155 transactions read by decode_raw(); sign()
  // refuses them because they can be replayed on every chain.
  std::optional<uint64_t> chain_id;
  friend bool operator==(const LegacyTx&, const LegacyTx&) = default;
};

// The bytes whose keccak256 is signed.
std::vector<uint8_t> signing_payload(const Eip1559Tx& tx);
std::vector<uint8_t> signing_payload(const LegacyTx& tx);
Hash256 signing_hash(const Eip1559Tx& tx);
Hash256 signing_hash(const LegacyTx& tx);

// The raw signed transaction (eth_sendRawTransaction's argument). Type 2:
// 0x02 || rlp([...9 fields, y_parity, r, s]); legacy: rlp([...6 fields, v, r, s])
// with v = chain_id * 2 + 35 + y_parity (27 + y_parity without a chain id).
std::vector<uint8_t> encode_signed(const Eip1559Tx& tx, const Signature& sig);
std::vector<uint8_t> encode_signed(const LegacyTx& tx, const Signature& sig);

// Signs and encodes. Refuses an EIP-1559 transaction whose priority fee
// exceeds its max fee (no node would accept it), a legacy transaction
// without a chain id, and an invalid key.
Result<std::vector<uint8_t>> sign(const Eip1559Tx& tx, std::span<const uint8_t, 32> private_key);
Result<std::vector<uint8_t>> sign(const LegacyTx& tx, std::span<const uint8_t, 32> private_key);

// keccak256 of the raw signed transaction: the hash nodes report for it.
Hash256 transaction_hash(std::span<const uint8_t> raw);

// A raw transaction taken apart.
struct DecodedTransaction {
  std::variant<Eip1559Tx, LegacyTx> tx;
  Signature signature;
  Hash256 signing_hash{};  // what the sender signed
  Hash256 hash{};          // transaction_hash(raw)
};

// Decodes a raw signed transaction of type 2 or legacy (with or without
// EIP-155). Strict: canonical RLP, exactly the expected fields, integers
// without leading zeros, addresses of 20 bytes, storage keys of 32 bytes, so
// re-encoding gives back `raw`. Other types (0x01, 0x03, ...) are refused by
// name. Does not check the signature; recover_sender() does.
Result<DecodedTransaction> decode_raw(std::span<const uint8_t> raw);

// The sender of a raw signed transaction, from its signature.
Result<Address> recover_sender(std::span<const uint8_t> raw);

}  // namespace gw::ledger
