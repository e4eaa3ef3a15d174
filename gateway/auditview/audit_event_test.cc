// The AuditEvent of an entry: every action, actor and outcome gives a
// resource the FHIR validator accepts, with BALP's codes, the patient only
// as a token, the source without its port, and a BALP profile claimed only
// where the event has what the profile asks for.
#include "gateway/auditview/audit_event.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "fhir/json/write.h"
#include "fhir/validate/validator.h"
#include "gateway/audit/audit_test_util.h"

namespace gw::auditview {
namespace {

using audit::Action;
using audit::ActorKind;
using audit::AuditEntry;
using audit::OutcomeKind;
using fhir::JsonValue;

AuditEventContext context() {
  AuditEventContext c;
  c.observer_name = "gateway-a";
  c.base_url = "https://gw.example:8443";
  return c;
}

// The text at a path of member names and array indexes ("agent", "0", ...).
std::string at(const JsonValue& v, std::vector<std::string> path) {
  const JsonValue* cur = &v;
  for (const std::string& p : path) {
    if (cur->is_array()) {
      const size_t i = std::stoul(p);
      if (i >= cur->items().size()) return "<missing>";
      cur = &cur->items()[i];
    } else {
      cur = cur->find(p);
      if (cur == nullptr) return "<missing>";
    }
  }
  if (cur->is_bool()) return cur->as_bool() ? "true" : "false";
  return cur->text();
}

void expect_valid(const JsonValue& event, const std::string& what) {
  const fhir::ValidationResult r = fhir::validate_resource(event);
  std::string issues;
  for (const auto& i : r.issues) issues += i.path + ": " + i.message + "\n";
  EXPECT_TRUE(r.ok()) << what << "\n" << issues << fhir::write_json(event);
}

TEST(AuditEventTest, EveryActionActorAndOutcomeIsAValidAuditEvent) {
  const std::vector<audit::Actor> actors = {{ActorKind::kClient, "ehr"},
                                            {ActorKind::kOperator, ""},
                                            {ActorKind::kMember, "0x" + std::string(40, 'a')},
                                            {ActorKind::kAnonymous, ""}};
  const std::vector<audit::Outcome> outcomes = {{OutcomeKind::kSuccess, 200, ""},
                                                {OutcomeKind::kRefused, 403, "scope"},
                                                {OutcomeKind::kFailed, 0, "ledger-unavailable"}};
  int seq = 0;
  for (uint8_t a = 1; a <= audit::kMaxAction; ++a) {
    for (const audit::Actor& actor : actors) {
      for (const audit::Outcome& outcome : outcomes) {
        for (int shape = 0; shape < 4; ++shape) {
          AuditEntry e = audit::testing::sample_entry(++seq);
          e.action = static_cast<Action>(a);
          e.actor = actor;
          e.outcome = outcome;
          if (shape == 1) e.patient.reset();
          if (shape == 2) e.resource_id.clear();  // a search names only the type
          if (shape == 3) {
            e.resource_type.clear();
            e.resource_id.clear();
            e.source.clear();
            e.purpose.clear();
            e.detail = "batch 7 closed";
          }
          ASSERT_TRUE(audit::validate(e).ok());
          const JsonValue event = to_audit_event({seq, e}, context());
          expect_valid(event, std::string(audit::action_name(e.action)) + " by " +
                                  actor.to_string() + " shape " + std::to_string(shape));
          EXPECT_EQ(at(event, {"id"}), std::to_string(seq));
          const std::vector<JsonValue>& subtypes = event.find("subtype")->items();
          EXPECT_EQ(at(subtypes.back(), {"system"}), kAuditActionSystem);
          EXPECT_EQ(at(subtypes.back(), {"code"}), audit::action_name(e.action));
        }
      }
    }
  }
}

TEST(AuditEventTest, TheValidatorCatchesABrokenEvent) {
  // Guards the test above: codes outside AuditEvent's required bindings fail.
  JsonValue event = to_audit_event({1, audit::testing::sample_entry(1)}, context());
  event.add("outcome", JsonValue::make_string("3"));
  EXPECT_FALSE(fhir::validate_resource(event).ok());
  event = to_audit_event({1, audit::testing::sample_entry(1)}, context());
  event.add("action", JsonValue::make_string("X"));
  EXPECT_FALSE(fhir::validate_resource(event).ok());
}

TEST(AuditEventTest, AReadOfAPatientsRecordFollowsBalpPatientRead) {
  AuditEntry e = audit::testing::sample_entry(5);
  const JsonValue ev = to_audit_event({42, e}, context());
  expect_valid(ev, "read");
  if (::testing::Test::HasFailure() || std::getenv("AUDIT_EVENT_PRINT") != nullptr) {
    std::cout << fhir::write_json(ev, true) << "\n";
  }
  EXPECT_EQ(at(ev, {"meta", "profile", "0"}),
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead");
  EXPECT_EQ(at(ev, {"type", "system"}), "http://terminology.hl7.org/CodeSystem/audit-event-type");
  EXPECT_EQ(at(ev, {"type", "code"}), "rest");
  EXPECT_EQ(at(ev, {"subtype", "0", "system"}), "http://hl7.org/fhir/restful-interaction");
  EXPECT_EQ(at(ev, {"subtype", "0", "code"}), "read");
  EXPECT_EQ(at(ev, {"subtype", "1", "system"}), "urn:gateway:audit-action");
  EXPECT_EQ(at(ev, {"subtype", "1", "code"}), "read");
  EXPECT_EQ(at(ev, {"action"}), "R");
  EXPECT_EQ(at(ev, {"recorded"}), "2023-11-14T22:13:25.000Z");
  EXPECT_EQ(at(ev, {"outcome"}), "0");
  EXPECT_EQ(at(ev, {"outcomeDesc"}), "HTTP 200");
  EXPECT_EQ(at(ev, {"purposeOfEvent", "0", "coding", "0", "system"}),
            "http://terminology.hl7.org/CodeSystem/v3-ActReason");
  EXPECT_EQ(at(ev, {"purposeOfEvent", "0", "coding", "0", "code"}), "TREAT");
  // The client asked (requestor), from its address without the port.
  EXPECT_EQ(at(ev, {"agent", "0", "type", "coding", "0", "code"}), "110153");
  EXPECT_EQ(at(ev, {"agent", "0", "who", "identifier", "system"}), "urn:gateway:client");
  EXPECT_EQ(at(ev, {"agent", "0", "who", "identifier", "value"}), "ehr");
  EXPECT_EQ(at(ev, {"agent", "0", "requestor"}), "true");
  EXPECT_EQ(at(ev, {"agent", "0", "network", "address"}), "10.0.0.5");
  EXPECT_EQ(at(ev, {"agent", "0", "network", "type"}), "2");
  // The gateway answered.
  EXPECT_EQ(at(ev, {"agent", "1", "type", "coding", "0", "code"}), "110152");
  EXPECT_EQ(at(ev, {"agent", "1", "requestor"}), "false");
  EXPECT_EQ(at(ev, {"agent", "1", "network", "address"}), "https://gw.example:8443");
  EXPECT_EQ(at(ev, {"source", "observer", "display"}), "gateway-a");
  EXPECT_EQ(at(ev, {"entity", "0", "what", "reference"}), "Observation/obs-5");
  EXPECT_EQ(at(ev, {"entity", "0", "role", "code"}), "4");
  // The patient: a token, never a name or a local id.
  EXPECT_EQ(at(ev, {"entity", "1", "what", "identifier", "system"}),
            "urn:gateway:consortium-patient-token");
  std::string hex = "0x";
  for (int i = 0; i < 32; ++i) hex += "a2";  // sample_entry(5)'s token: 32 bytes of 0xA2
  EXPECT_EQ(at(ev, {"entity", "1", "what", "identifier", "value"}), hex);
  EXPECT_EQ(patient_token_text(*e.patient), hex);
  EXPECT_EQ(at(ev, {"entity", "1", "role", "code"}), "1");
  EXPECT_EQ(at(ev, {"entity", "1", "type", "code"}), "1");
}

TEST(AuditEventTest, ProfilesAreClaimedOnlyWhereTheEventHasWhatTheyAskFor) {
  AuditEntry e = audit::testing::sample_entry(1);
  e.patient.reset();
  e.action = Action::kCreate;
  EXPECT_EQ(at(to_audit_event({1, e}, context()), {"meta", "profile", "0"}),
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.Create");
  e.action = Action::kDelete;
  EXPECT_EQ(at(to_audit_event({1, e}, context()), {"action"}), "D");
  // A refused read, a read without the client's address, one without the
  // gateway's URL, and a search (BALP Query wants the raw query): none.
  AuditEntry refused = audit::testing::sample_entry(1);
  refused.outcome = {OutcomeKind::kRefused, 403, "scope"};
  const JsonValue r = to_audit_event({1, refused}, context());
  EXPECT_EQ(r.find("meta"), nullptr);
  EXPECT_EQ(at(r, {"outcome"}), "4");
  EXPECT_EQ(at(r, {"outcomeDesc"}), "scope; HTTP 403");
  AuditEntry local = audit::testing::sample_entry(1);
  local.source.clear();
  EXPECT_EQ(to_audit_event({1, local}, context()).find("meta"), nullptr);
  local.source = ":51234";  // a port alone is no address
  EXPECT_EQ(to_audit_event({1, local}, context()).find("meta"), nullptr);
  AuditEventContext no_url = context();
  no_url.base_url.clear();
  EXPECT_EQ(to_audit_event({1, audit::testing::sample_entry(1)}, no_url).find("meta"), nullptr);
  AuditEntry search = audit::testing::sample_entry(1);
  search.action = Action::kSearch;
  search.resource_id.clear();
  const JsonValue s = to_audit_event({1, search}, context());
  EXPECT_EQ(s.find("meta"), nullptr);
  EXPECT_EQ(at(s, {"action"}), "E");
  EXPECT_EQ(at(s, {"subtype", "0", "code"}), "search-type");
  EXPECT_EQ(at(s, {"entity", "0", "what", "type"}), "Observation");
  EXPECT_EQ(at(s, {"entity", "0", "role", "code"}), "24");
}

TEST(AuditEventTest, TheGatewaysOwnActionsUseDicomEventTypes) {
  struct Case {
    Action action;
    std::string type, subtype, action_code;
  };
  for (const Case& c :
       std::vector<Case>{{Action::kExport, "110106", "export", "R"},
                         {Action::kTransferSent, "110106", "transfer-sent", "R"},
                         {Action::kTransferReceived, "110107", "transfer-received", "C"},
                         {Action::kConsentChange, "110110", "consent-change", "U"},
                         {Action::kConfigLoad, "110100", "config-load", "E"}}) {
    AuditEntry e = audit::testing::sample_entry(1);
    e.action = c.action;
    const JsonValue ev = to_audit_event({1, e}, context());
    EXPECT_EQ(at(ev, {"type", "system"}), "http://dicom.nema.org/resources/ontology/DCM");
    EXPECT_EQ(at(ev, {"type", "code"}), c.type) << c.subtype;
    EXPECT_EQ(at(ev, {"subtype", "0", "code"}), c.subtype);
    EXPECT_EQ(at(ev, {"action"}), c.action_code) << c.subtype;
  }
  AuditEntry glass = audit::testing::sample_entry(1);
  glass.action = Action::kEmergencyAccess;
  glass.purpose = "ETREAT";
  const JsonValue g = to_audit_event({1, glass}, context());
  EXPECT_EQ(at(g, {"type", "code"}), "110113");
  EXPECT_EQ(at(g, {"subtype", "0", "code"}), "110127");
  EXPECT_EQ(at(g, {"purposeOfEvent", "0", "coding", "0", "code"}), "ETREAT");
}

TEST(AuditEventTest, AnAuthenticationFailureIsALoginWithAMinorFailure) {
  AuditEntry e;
  e.time_ms = 1'700'000'000'000;
  e.actor = {ActorKind::kAnonymous, ""};
  e.source = "[2001:db8::7]:40000";
  e.action = Action::kAuthFailure;
  e.outcome = {OutcomeKind::kRefused, 401, "expired-token"};
  const JsonValue ev = to_audit_event({9, e}, context());
  expect_valid(ev, "auth failure");
  EXPECT_EQ(at(ev, {"type", "code"}), "110114");
  EXPECT_EQ(at(ev, {"subtype", "0", "code"}), "110122");
  EXPECT_EQ(at(ev, {"subtype", "1", "code"}), "auth-failure");
  EXPECT_EQ(at(ev, {"outcome"}), "4");
  EXPECT_EQ(at(ev, {"outcomeDesc"}), "expired-token; HTTP 401");
  EXPECT_EQ(at(ev, {"agent", "0", "who", "display"}), "anonymous");
  EXPECT_EQ(at(ev, {"agent", "0", "network", "address"}), "2001:db8::7");
  EXPECT_EQ(at(ev, {"agent", "0", "network", "type"}), "2");
  EXPECT_EQ(ev.find("entity"), nullptr);
}

TEST(AuditEventTest, TheOperatorIsNoNetworkRequestAndAMemberIsNamedByAddress) {
  AuditEntry op = audit::testing::sample_entry(1);
  op.actor = {ActorKind::kOperator, ""};
  op.action = Action::kExport;
  op.source.clear();
  const JsonValue o = to_audit_event({1, op}, context());
  EXPECT_EQ(at(o, {"agent", "0", "who", "display"}), "operator");
  EXPECT_EQ(at(o, {"agent", "1"}), "<missing>");  // no destination: gatewayctl runs here
  EXPECT_EQ(at(o, {"agent", "0", "network"}), "<missing>");

  AuditEntry member = audit::testing::sample_entry(1);
  const std::string address = "0x" + std::string(40, 'b');
  member.actor = {ActorKind::kMember, address};
  member.action = Action::kTransferReceived;
  member.source = "peer.example.org:8444";
  const JsonValue m = to_audit_event({1, member}, context());
  EXPECT_EQ(at(m, {"agent", "0", "who", "identifier", "system"}), "urn:gateway:consortium-member");
  EXPECT_EQ(at(m, {"agent", "0", "who", "identifier", "value"}), address);
  EXPECT_EQ(at(m, {"agent", "0", "network", "address"}), "peer.example.org");
  EXPECT_EQ(at(m, {"agent", "0", "network", "type"}), "1");  // a machine name
}

TEST(AuditEventTest, WhatIsNotAFhirTypeOrIdIsNamedNotReferenced) {
  // A refused request may name anything; the event must still be valid.
  AuditEntry e = audit::testing::sample_entry(1);
  e.resource_type = "NoSuchType";
  e.resource_id = "bad id!";
  e.purpose = "  odd  code ";
  e.outcome = {OutcomeKind::kRefused, 400, "invalid"};
  const JsonValue ev = to_audit_event({3, e}, context());
  expect_valid(ev, "odd names");
  EXPECT_EQ(at(ev, {"entity", "0", "what"}), "<missing>");
  EXPECT_EQ(at(ev, {"entity", "0", "name"}), "NoSuchType/bad id!");
  EXPECT_EQ(at(ev, {"purposeOfEvent", "0", "text"}), "  odd  code ");
}

}  // namespace
}  // namespace gw::auditview
