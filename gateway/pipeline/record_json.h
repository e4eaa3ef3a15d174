// Serving stored records: the stored canonical JSON plus the meta the store
// assigned (versionId, lastUpdated), and opening the store for gatewayctl.
#pragma once

#include <memory>
#include <string>

#include "fhir/json/json.h"
#include "gateway/store/message_store.h"

namespace gw::pipeline {

// The record as a FHIR server returns it: meta.versionId and meta.lastUpdated
// set (other meta members kept). False if the stored JSON does not parse.
bool record_resource(const store::StoredRecord& record, fhir::JsonValue* out);
// record_resource written compactly.
bool record_to_json(const store::StoredRecord& record, std::string* out);
// Unix ms -> FHIR instant "2026-11-22T10:15:30.123Z".
std::string fhir_instant(int64_t ms);

// Opens the store of the gatewayd configured by `config_path` (its
// state_dir/messages.db); prints the reason to stderr and returns null on
// failure.
std::unique_ptr<store::MessageStore> open_store_for_ctl(const std::string& config_path);

}  // namespace gw::pipeline
