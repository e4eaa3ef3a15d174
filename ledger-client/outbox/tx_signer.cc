#include "ledger-client/outbox/tx_signer.h"

#include <sodium.h>

#include <cstring>

namespace gw::ledger {

Result<std::unique_ptr<LocalKeySigner>> LocalKeySigner::create(
    std::span<const uint8_t, 32> private_key) {
  if (sodium_init() < 0) return internal_error("libsodium failed to initialise");
  auto address = address_of(private_key);
  if (!address)
    return invalid_argument_error("the ledger key is not a valid secp256k1 private key");
  std::unique_ptr<LocalKeySigner> signer(new LocalKeySigner());
  signer->key_ = static_cast<uint8_t*>(sodium_malloc(32));
  if (signer->key_ == nullptr)
    return resource_exhausted_error("cannot allocate guarded memory for the ledger key");
  std::memcpy(signer->key_, private_key.data(), 32);
  sodium_mprotect_readonly(signer->key_);
  signer->address_ = *address;
  return signer;
}

LocalKeySigner::~LocalKeySigner() {
  if (key_ != nullptr) sodium_free(key_);  // wipes before unmapping
}

std::span<const uint8_t, 32> LocalKeySigner::key() const {
  return std::span<const uint8_t, 32>(key_, 32);
}

Result<std::vector<uint8_t>> LocalKeySigner::sign(const Eip1559Tx& tx) {
  return ledger::sign(tx, key());
}

Result<std::vector<uint8_t>> LocalKeySigner::sign(const LegacyTx& tx) {
  return ledger::sign(tx, key());
}

}  // namespace gw::ledger
