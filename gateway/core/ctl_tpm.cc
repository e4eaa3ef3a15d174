// gatewayctl tpm: provisioning the appliance's keys.
//
//   tpm provision --config FILE
//       Creates what is missing (storage primary, sealed record and ledger keys,
//       attestation and batch-signing keys) and says what already existed.
//       Safe to re-run; never replaces a secret.
//   tpm import-consortium-key --config FILE [--replace] KEYFILE
//       Imports the consortium tokenization key (32 bytes, or 64 hex digits)
//       under this TPM's primary. Afterwards KEYFILE is not needed on this
//       machine: delete it (the TPM blob is useless elsewhere).
#include <cstdio>
#include <string>
#include <vector>

#include "gateway/core/ctl_commands.h"
#include "gateway/core/key_options.h"

namespace gw::core {
namespace {

constexpr const char* kTpmUsage =
    "usage: gatewayctl tpm provision --config FILE\n"
    "       gatewayctl tpm import-consortium-key --config FILE [--replace] KEYFILE\n";

int usage() {
  std::fputs(kTpmUsage, stderr);
  return 2;
}

std::unique_ptr<keys::KeyStore> open_store(const std::string& config_path) {
  std::string error;
  auto cfg = config::load_config(config_path, &error);
  if (!cfg) {
    std::fprintf(stderr, "gatewayctl: configuration error: %s\n", error.c_str());
    return nullptr;
  }
  if (cfg->keys.store == "software")
    std::fprintf(stderr, "WARNING: %s\n", kSoftwareKeyStoreWarning);
  auto store = keys::open_key_store(key_store_options(*cfg), &error);
  if (!store) std::fprintf(stderr, "gatewayctl: %s\n", error.c_str());
  return store;
}

}  // namespace

int ctl_tpm(const std::vector<std::string>& args) {
  if (args.empty()) return usage();
  const std::string sub = args[0];
  std::string config_path, key_file;
  bool replace = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--replace" && sub == "import-consortium-key") {
      replace = true;
    } else if (!args[i].starts_with("--") && sub == "import-consortium-key" && key_file.empty()) {
      key_file = args[i];
    } else {
      return usage();
    }
  }
  if (config_path.empty()) return usage();

  if (sub == "provision") {
    auto store = open_store(config_path);
    if (!store) return 1;
    std::string error;
    auto report = store->provision(&error);
    if (!report) {
      std::fprintf(stderr, "gatewayctl: provisioning failed: %s\n", error.c_str());
      return 1;
    }
    for (const auto& line : report->lines) std::printf("%s\n", line.c_str());
    if (!report->ledger_address.empty())
      std::printf("ledger account: %s\n", report->ledger_address.c_str());
    return 0;
  }
  if (sub == "import-consortium-key") {
    if (key_file.empty()) return usage();
    auto store = open_store(config_path);
    if (!store) return 1;
    std::string error;
    auto key = keys::read_consortium_key_file(key_file, &error);
    if (!key) {
      std::fprintf(stderr, "gatewayctl: %s\n", error.c_str());
      return 1;
    }
    if (!store->import_consortium_key(key->view(), replace, &error)) {
      std::fprintf(stderr, "gatewayctl: import failed: %s\n", error.c_str());
      return 1;
    }
    std::printf(
        "consortium key imported into the %s key store; %s is no longer needed on this "
        "machine: delete it\n",
        store->kind(), key_file.c_str());
    return 0;
  }
  return usage();
}

}  // namespace gw::core
