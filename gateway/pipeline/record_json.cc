#include "gateway/pipeline/record_json.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "fhir/json/write.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_options.h"

namespace gw::pipeline {

std::string fhir_instant(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];  // the widest ints the format allows, so nothing is ever cut
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

bool record_resource(const store::StoredRecord& r, fhir::JsonValue* out) {
  fhir::JsonParseOptions limits;
  limits.max_input_bytes = 64u << 20;
  fhir::JsonResult<fhir::JsonValue> parsed = fhir::parse_json(r.resource_json, limits);
  if (!parsed.ok() || !parsed->is_object()) return false;
  *out = std::move(parsed).value();
  fhir::JsonValue meta = fhir::JsonValue::make_object();
  if (const fhir::JsonValue* old = out->find("meta"); old != nullptr && old->is_object())
    meta = *old;
  meta.add("versionId", fhir::JsonValue::make_string(std::to_string(r.version)));
  meta.add("lastUpdated", fhir::JsonValue::make_string(fhir_instant(r.updated_at_ms)));
  out->add("meta", std::move(meta));
  return true;
}

bool record_to_json(const store::StoredRecord& r, std::string* out) {
  fhir::JsonValue v;
  if (!record_resource(r, &v)) return false;
  *out = fhir::write_json(v);
  return true;
}

std::unique_ptr<store::MessageStore> open_store_for_ctl(const std::string& config_path) {
  std::string error;
  auto cfg = config::load_config(config_path, &error);
  if (!cfg) {
    std::fprintf(stderr, "gatewayctl: configuration error: %s\n", error.c_str());
    return nullptr;
  }
  std::string path = store::store_path(cfg->state_dir);
  if (!std::filesystem::exists(path)) {
    std::fprintf(stderr, "gatewayctl: no store at %s (has gatewayd run with this configuration?)\n",
                 path.c_str());
    return nullptr;
  }
  auto keys = gw::keys::load_keys(*cfg);
  if (!keys.ok()) {
    std::fprintf(stderr, "gatewayctl: cannot read the store: %s\n", keys.error().message().c_str());
    return nullptr;
  }
  if (keys->key_store->is_development_only())
    std::fprintf(stderr, "WARNING: %s\n", gw::keys::kSoftwareKeyStoreWarning);
  store::StoreOptions so;
  so.path = path;
  so.keys = keys->store_keys;
  auto s = store::MessageStore::open(so);
  if (!s.ok()) {
    std::fprintf(stderr, "gatewayctl: %s\n", s.error().message().c_str());
    return nullptr;
  }
  return std::move(s).value();
}

}  // namespace gw::pipeline
