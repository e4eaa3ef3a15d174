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

Result<LoadedKeys> load_keys(const config::GatewayConfig& cfg) {
  const std::string context = "key store \"" + cfg.keys.store + "\"";
  LoadedKeys out;
  auto key_store = keys::open_key_store(key_store_options(cfg));
  if (!key_store.ok()) return key_store.status().with_context(context);
  out.key_store = std::move(key_store).value();
  auto working = out.key_store->load_working_keys();
  if (!working.ok()) return working.status().with_context(context);
  out.working = std::move(working).value();
  GW_ASSIGN_OR_RETURN(out.store_keys,
                      crypto::StoreKeys::create(out.working.record_key, out.working.record_key_id,
                                                out.working.tokenization));
  return out;
}

}  // namespace gw::keys
