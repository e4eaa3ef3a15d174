// Fuzz target for the AuditEvent mapping: every entry the log can hold
// (any bytes that decode as one) becomes an AuditEvent the FHIR validator
// accepts. Entries hold what their writers put in (ids and names from
// refused requests, odd purpose codes), so the mapping must not rely on
// well-formed values. Seeds: gateway/audit's hand-written entry encodings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fhir/validate/validator.h"
#include "gateway/audit/audit_entry.h"
#include "gateway/auditview/audit_event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto entry = gw::audit::decode(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!entry.ok()) return 0;
  gw::auditview::AuditEventContext context;
  context.base_url = "https://gw.example:8443";
  const gw::fhir::JsonValue event = gw::auditview::to_audit_event({1, *entry}, context);
  if (!gw::fhir::validate_resource(event).ok()) std::abort();
  return 0;
}
