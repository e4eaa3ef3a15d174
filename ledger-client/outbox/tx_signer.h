// Who signs the outbox's transactions. The gateway's signer holds the ledger
// key that gatewayd unsealed from the TPM at start (gateway/keys: WorkingKeys
// ::ledger_key); tests use anvil's dev keys. The key never leaves the signer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/account/account.h"
#include "ledger-client/tx/transaction.h"

namespace gw::ledger {

class TxSigner {
 public:
  virtual ~TxSigner() = default;
  virtual const Address& address() const = 0;
  // The raw signed transaction (eth_sendRawTransaction's argument).
  virtual Result<std::vector<uint8_t>> sign(const Eip1559Tx& tx) = 0;
  virtual Result<std::vector<uint8_t>> sign(const LegacyTx& tx) = 0;
};

// A secp256k1 key held in libsodium guarded memory (locked, read-only except
// while being written, wiped on destruction).
class LocalKeySigner final : public TxSigner {
 public:
  static Result<std::unique_ptr<LocalKeySigner>> create(std::span<const uint8_t, 32> private_key);
  ~LocalKeySigner() override;
  LocalKeySigner(const LocalKeySigner&) = delete;
  LocalKeySigner& operator=(const LocalKeySigner&) = delete;
  const Address& address() const override { return address_; }
  Result<std::vector<uint8_t>> sign(const Eip1559Tx& tx) override;
  Result<std::vector<uint8_t>> sign(const LegacyTx& tx) override;

 private:
  LocalKeySigner() = default;
  std::span<const uint8_t, 32> key() const;
  uint8_t* key_ = nullptr;  // sodium_malloc'd, 32 bytes
  Address address_{};
};

}  // namespace gw::ledger
