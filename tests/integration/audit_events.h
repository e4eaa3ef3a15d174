// The audit trail of a running gatewayd as its auditors see it: every
// AuditEvent of `GET /AuditEvent` (all pages), reduced to what the tests
// check. The caller's client needs the auditor role.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/rest/rest_test_util.h"

namespace gw::testing {

struct AuditRow {
  std::string action;   // urn:gateway:audit-action code: "transfer-sent", ...
  std::string who;      // agent[0].who.display: "client:ehr", "member:0x..", "operator"
  std::string outcome;  // "0" success, "4" refused, "8" failed
  std::string desc;     // outcomeDesc: reason; HTTP nnn; detail
  std::string purpose;  // purposeOfEvent code (or text)
  std::string token;    // the patient's consortium token ("0x..."), or ""
  std::string what;     // the resource entity's reference: "Patient/ID", "Consent/ID"
};

using AuditCall = std::function<rest::testing::Reply(const std::string& target)>;

// Every event, oldest first (pages of 1000 until there is no next link).
inline std::vector<AuditRow> audit_rows(const AuditCall& get) {
  std::vector<AuditRow> rows;
  std::string target = "/AuditEvent?_count=1000";
  for (int page = 0; page < 100 && !target.empty(); ++page) {
    rest::testing::Reply r = get(target);
    if (r.status != 200) {
      ADD_FAILURE() << "GET " << target << ": " << r.status << " " << r.body;
      return rows;
    }
    auto parsed = fhir::parse_json(r.body);
    if (!parsed.ok()) {
      ADD_FAILURE() << "not JSON: " << r.body;
      return rows;
    }
    const fhir::JsonValue& bundle = parsed.value();
    target.clear();
    if (const fhir::JsonValue* links = bundle.find("link")) {
      for (const fhir::JsonValue& l : links->items()) {
        if (l.find("relation")->text() != "next") continue;
        const std::string url = l.find("url")->text();
        target = url.substr(url.find("/AuditEvent"));
      }
    }
    const fhir::JsonValue* entries = bundle.find("entry");
    if (entries == nullptr) continue;
    for (const fhir::JsonValue& entry : entries->items()) {
      const fhir::JsonValue& e = *entry.find("resource");
      AuditRow row;
      for (const fhir::JsonValue& c : e.find("subtype")->items()) {
        if (c.find("system")->text() == "urn:gateway:audit-action")
          row.action = c.find("code")->text();
      }
      if (const fhir::JsonValue* o = e.find("outcome")) row.outcome = o->text();
      if (const fhir::JsonValue* d = e.find("outcomeDesc")) row.desc = d->text();
      const fhir::JsonValue& agent = e.find("agent")->items()[0];
      if (const fhir::JsonValue* who = agent.find("who")) {
        if (const fhir::JsonValue* display = who->find("display")) row.who = display->text();
      }
      if (const fhir::JsonValue* purposes = e.find("purposeOfEvent")) {
        const fhir::JsonValue& p = purposes->items()[0];
        if (const fhir::JsonValue* codings = p.find("coding")) {
          row.purpose = codings->items()[0].find("code")->text();
        } else if (const fhir::JsonValue* text = p.find("text")) {
          row.purpose = text->text();
        }
      }
      if (const fhir::JsonValue* entities = e.find("entity")) {
        for (const fhir::JsonValue& en : entities->items()) {
          const fhir::JsonValue* what = en.find("what");
          if (what != nullptr && what->find("identifier") != nullptr) {
            row.token = what->find("identifier")->find("value")->text();
          } else if (what != nullptr && what->find("reference") != nullptr) {
            row.what = what->find("reference")->text();
          }
        }
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

// The rows of one action.
inline std::vector<AuditRow> rows_of(const std::vector<AuditRow>& rows, const std::string& action) {
  std::vector<AuditRow> out;
  for (const AuditRow& r : rows) {
    if (r.action == action) out.push_back(r);
  }
  return out;
}

}  // namespace gw::testing
