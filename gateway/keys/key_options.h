// The key store the configuration names ([keys] and [tpm]).
#pragma once

#include <memory>
#include <string>

#include "gateway/config/config.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/keys/key_store.h"

namespace gw::keys {

keys::KeyStoreOptions key_store_options(const config::GatewayConfig& cfg);

// What gatewayd (and gatewayctl commands that read the store) hold after start.
struct LoadedKeys {
  std::unique_ptr<keys::KeyStore> key_store;
  keys::WorkingKeys working;
  std::shared_ptr<const crypto::StoreKeys> store_keys;
};

// Opens the configured key store and loads the working keys once. The error
// says which object or device is missing and how to recover; there is no
// fallback to other keys.
Result<LoadedKeys> load_keys(const config::GatewayConfig& cfg);

// The software store's start-up warning (logged at every start, and printed by
// gatewayctl): it must be impossible to miss.
inline constexpr const char* kSoftwareKeyStoreWarning =
    "DEVELOPMENT ONLY: [keys] store = \"software\": the gateway's secret keys are plain files in "
    "the state directory, not protected by a TPM; attestation is refused. Never use this with "
    "real patient data.";

}  // namespace gw::keys
