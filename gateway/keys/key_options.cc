#include "gateway/keys/key_options.h"

namespace gw::keys {

keys::KeyStoreOptions key_store_options(const config::GatewayConfig& cfg) {
  keys::KeyStoreOptions o;
  o.kind = cfg.keys.store;
  o.state_dir = cfg.state_dir;
  o.consortium_id = cfg.keys.consortium_id;
  o.tcti = cfg.tpm.tcti;
  o.primary_handle = cfg.tpm.primary_handle;
  o.seal_pcrs = cfg.tpm.seal_pcrs;
  o.injected_latency = cfg.tpm.injected_latency;
  return o;
}

}  // namespace gw::keys

namespace gw::keys {

std::optional<LoadedKeys> load_keys(const config::GatewayConfig& cfg, std::string* error) {
  LoadedKeys out;
  std::string why;
  out.key_store = keys::open_key_store(key_store_options(cfg), &why);
  if (!out.key_store) {
    *error = "key store \"" + cfg.keys.store + "\": " + why;
    return std::nullopt;
  }
  auto working = out.key_store->load_working_keys(&why);
  if (!working) {
    *error = "key store \"" + cfg.keys.store + "\": " + why;
    return std::nullopt;
  }
  out.working = std::move(*working);
  out.store_keys = crypto::StoreKeys::create(out.working.record_key, out.working.record_key_id,
                                            out.working.tokenization, &why);
  if (!out.store_keys) {
    *error = why;
    return std::nullopt;
  }
  return out;
}

}  // namespace gw::keys
