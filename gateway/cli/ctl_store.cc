// Opening the store of a configured gatewayd for the gatewayctl commands that
// read it (messages, records).
#include <cstdio>
#include <filesystem>

#include "gateway/cli/ctl_commands.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_options.h"

namespace gw::cli {

std::unique_ptr<store::MessageStore> open_store_for_ctl(const std::string& config_path,
                                                        config::GatewayConfig* cfg_out,
                                                        keys::LoadedKeys* keys_out) {
  auto cfg = config::load_config(config_path);
  if (!cfg) {
    std::fprintf(stderr, "gatewayctl: configuration error: %s\n", cfg.error().message().c_str());
    return nullptr;
  }
  const std::string path = cfg->message_store_path();
  if (!std::filesystem::exists(path)) {
    std::fprintf(stderr, "gatewayctl: no store at %s (has gatewayd run with this configuration?)\n",
                 path.c_str());
    return nullptr;
  }
  auto loaded = keys::load_keys(*cfg);
  if (!loaded.ok()) {
    std::fprintf(stderr, "gatewayctl: cannot read the store: %s\n",
                 loaded.error().message().c_str());
    return nullptr;
  }
  if (loaded->key_store->is_development_only())
    std::fprintf(stderr, "WARNING: %s\n", keys::kSoftwareKeyStoreWarning);
  store::StoreOptions so;
  so.path = path;
  so.keys = loaded->store_keys;
  auto s = store::MessageStore::open(so);
  if (!s.ok()) {
    std::fprintf(stderr, "gatewayctl: %s\n", s.error().message().c_str());
    return nullptr;
  }
  if (cfg_out != nullptr) *cfg_out = *cfg;
  if (keys_out != nullptr) *keys_out = std::move(loaded).value();
  return std::move(s).value();
}

}  // namespace gw::cli
