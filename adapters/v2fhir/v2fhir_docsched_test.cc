// Document (MDM^T01..T11) and scheduling (SIU^S12..S26) events: the status
// each event gives, the relations between document versions, and fields that
// used to refuse the message and now only warn. The rich messages are golden
// tests (testdata/mdm_t*.hl7, testdata/siu_s*.hl7).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/test_expect.h"

namespace gw::v2fhir::testing {
namespace {

using fhir::JsonValue;

// The partial-update rules of the first record of `type`, as
// "keep:a,b by:element/key_path" ("" = whole resource).
std::string Partial(const Converted& c, std::string_view type) {
  for (const MappedRecord& r : c.result.records()) {
    if (r.resource_type != type) continue;
    std::string out;
    for (const std::string& k : r.partial.keep_stored) out += (out.empty() ? "keep:" : ",") + k;
    for (const PartialUpdate::MergeBy& b : r.partial.merge_by)
      out += (out.empty() ? "" : " ") + std::string("by:") + b.element + "/" + b.key_path;
    return out;
  }
  return "<no record>";
}

// ---- MDM ---------------------------------------------------------------------

std::string Mdm(std::string_view event, std::map<int, std::string> txa, std::string obx = "") {
  std::map<int, std::string> base = {{1, "1"},
                                     {2, "DS^Discharge summary^HL70270"},
                                     {9, "123^DOC^DAN^^^^^^FAC"},
                                     {12, "DOC-2^FAC"},
                                     {17, "AU"},
                                     {19, "AV"}};
  for (auto& [k, v] : txa) base[k] = v;
  return "MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||MDM^" + std::string(event) +
         "|CTRL-1|P|2.5.1\rPID|1||P1^^^FAC^MR||DOE^JO\r" + S("TXA", base) + obx;
}

const JsonValue* Relation(const JsonValue* doc) {
  const JsonValue* rel = doc == nullptr ? nullptr : doc->find("relatesTo");
  return rel == nullptr ? nullptr : &rel->items().front();
}

TEST(DocumentEvents, StatusAndDocStatusByEvent) {
  struct Case {
    const char* event;
    const char* txa17;
    const char* txa19;
    const char* status;
    const char* doc_status;
  } kCases[] = {
      {"T01", "DI", "UN", "current", "preliminary"},  // original, not yet available
      {"T03", "AU", "AV", "current", "final"},        // status change: authenticated
      {"T04", "LA", "AV", "current", "final"},
      {"T07", "AU", "AV", "current", "amended"},  // an edit of a final document
      {"T09", "PA", "AV", "current", "preliminary"},
      {"T10", "AU", "AV", "current", "amended"},
      {"T11", "AU", "CA", "entered-in-error", "entered-in-error"},
      {"T11", "AU", "", "entered-in-error", "entered-in-error"},  // the event alone cancels
  };
  for (const Case& k : kCases) {
    Converted c;
    Convert(Mdm(k.event, {{17, k.txa17}, {19, k.txa19}, {13, "DOC-1^FAC"}}), &c);
    ASSERT_TRUE(c.result.ok()) << k.event << ": " << Issues(c);
    const JsonValue* d = First(c, "DocumentReference");
    EXPECT_EQ(Text(d, "status"), k.status) << k.event;
    EXPECT_EQ(Text(d, "docStatus"), k.doc_status) << k.event;
  }
  Converted contradicting;
  Convert(Mdm("T11", {{19, "AV"}}), &contradicting);
  EXPECT_TRUE(HasWarning(contradicting, "TXA-19", "contradicts the cancel event"));
}

TEST(DocumentEvents, ParentDocumentGivesTheRelationOfTheEvent) {
  struct Case {
    const char* event;
    const char* txa12;
    const char* relation;  // nullptr: none
  } kCases[] = {
      {"T02", "DOC-2^FAC", "appends"},  {"T05", "DOC-2^FAC", "appends"},
      {"T06", "DOC-2^FAC", "appends"},  {"T08", "DOC-2^FAC", "replaces"},
      {"T09", "DOC-2^FAC", "replaces"}, {"T10", "DOC-2^FAC", "replaces"},
      {"T07", "DOC-1^FAC", nullptr},  // edited in place: same number, no relation
  };
  for (const Case& k : kCases) {
    Converted c;
    Convert(Mdm(k.event, {{12, k.txa12}, {13, "DOC-1^FAC"}}, "OBX|1|TX|X^Y^L||text||||||F\r"), &c);
    ASSERT_TRUE(c.result.ok()) << k.event << ": " << Issues(c);
    const JsonValue* rel = Relation(First(c, "DocumentReference"));
    if (k.relation == nullptr) {
      EXPECT_EQ(rel, nullptr) << k.event;
      continue;
    }
    ASSERT_NE(rel, nullptr) << k.event;
    EXPECT_EQ(Text(rel, "code"), k.relation) << k.event;
    EXPECT_EQ(Text(rel->find("target")->find("identifier"), "value"), "DOC-1") << k.event;
  }
  Converted no_parent;
  Convert(Mdm("T10", {}, "OBX|1|TX|X^Y^L||text||||||F\r"), &no_parent);
  ASSERT_TRUE(no_parent.result.ok());
  EXPECT_TRUE(HasWarning(no_parent, "TXA-13", "parent document number missing"));
}

TEST(DocumentEvents, IdentityIsTheUniqueDocumentNumber) {
  Converted c;
  Convert(Mdm("T04", {{16, "ds_0002.pdf"}}, "OBX|1|TX|X^Y^L||text||||||F\r"), &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  std::string url;
  for (const JsonValue& e : c.result.bundle.find("entry")->items()) {
    if (e.find("resource")->find("resourceType")->text() == "DocumentReference")
      url = e.find("request")->find("url")->text();
  }
  EXPECT_NE(url.find("DOC-2"), std::string::npos) << url;
  const JsonValue* ids = First(c, "DocumentReference")->find("identifier");
  ASSERT_EQ(ids->items().size(), 2u);
  EXPECT_EQ(Text(&ids->items()[1], "value"), "ds_0002.pdf");
}

TEST(DocumentEvents, NotificationWithoutContentHasAnAbsentAttachment) {
  Converted c;
  Convert(Mdm("T01", {{3, "text/rtf"}, {25, "Discharge summary"}}), &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  const JsonValue* a =
      First(c, "DocumentReference")->find("content")->items()[0].find("attachment");
  EXPECT_EQ(Text(a, "contentType"), "text/rtf");  // TXA-3 given as a MIME type
  EXPECT_EQ(Text(a, "title"), "Discharge summary");
  EXPECT_EQ(a->find("data"), nullptr);
  EXPECT_EQ(Text(&a->find("extension")->items()[0], "valueCode"), "unknown");
  EXPECT_FALSE(HasWarning(c, "TXA", "document content"));  // T01 carries none by definition

  // An event that should carry content but does not: a warning, not a refusal.
  Converted missing;
  Convert(Mdm("T02", {{3, "AP"}}), &missing);
  ASSERT_TRUE(missing.result.ok()) << Issues(missing);
  EXPECT_TRUE(HasWarning(missing, "TXA", "document content (OBX) missing"));
  EXPECT_TRUE(HasWarning(missing, "TXA-3", "not a MIME type"));
}

// A document whose content the message does not carry is partial: a store
// keeps the content it has (gateway/store MergeRules). The content-carrying
// events and a notification with content are whole.
TEST(DocumentEvents, PlaceholderContentIsMarkedPartial) {
  for (const char* event : {"T01", "T03", "T05", "T07", "T09", "T11", "T02"}) {
    Converted c;
    Convert(Mdm(event, {}), &c);
    ASSERT_TRUE(c.result.ok()) << event << ": " << Issues(c);
    EXPECT_EQ(Partial(c, "DocumentReference"), "keep:content") << event;
  }
  Converted with_text;
  Convert(Mdm("T02", {}, "OBX|1|TX|||the text\r"), &with_text);
  ASSERT_TRUE(with_text.result.ok()) << Issues(with_text);
  EXPECT_EQ(Partial(with_text, "DocumentReference"), "");
  // The Patient keeps what its PID leaves empty, as in every message
  // (v2fhir_update_test.cc).
  EXPECT_EQ(Partial(with_text, "Patient").rfind("keep:telecom,", 0), 0u);
  // A note is the only content of a notification: it replaces the
  // placeholder and joins the stored content.
  Converted note;
  Convert(Mdm("T03", {}, "NTE|1||signed off\r"), &note);
  ASSERT_TRUE(note.result.ok()) << Issues(note);
  EXPECT_EQ(Partial(note, "DocumentReference"), "by:content/");
  const JsonValue* content = First(note, "DocumentReference")->find("content");
  ASSERT_EQ(content->items().size(), 1u);
  EXPECT_EQ(content->items()[0].find("attachment")->find("extension"), nullptr);
}

TEST(DocumentEvents, MissingDocumentNumberRefusesOnlyChangesOfADocument) {
  // A new document without TXA-12 is still a document: minted identity.
  Converted original;
  Convert(Mdm("T02", {{12, ""}}, "OBX|1|TX|X^Y^L||text||||||F\r"), &original);
  ASSERT_TRUE(original.result.ok()) << Issues(original);
  EXPECT_TRUE(HasWarning(original, "TXA-12", "unique document number missing"));
  EXPECT_NE(First(original, "DocumentReference")->find("identifier"), nullptr);
  // A status change or cancel names the document it changes only by TXA-12.
  for (const char* event : {"T03", "T04", "T11"}) {
    Converted c;
    Convert(Mdm(event, {{12, ""}}), &c);
    ASSERT_FALSE(c.result.ok()) << event;
    EXPECT_EQ(c.result.errors.front().location.to_string(), "TXA-12") << event;
  }
}

TEST(DocumentEvents, TranscriptionAndEditGiveADocumentProvenance) {
  Converted c;
  Convert(Mdm("T08",
              {{7, "20240402124500-0400"},
               {8, "20240403112500-0400~20240403135000-0400"},
               {11, "55^TYPIST^TINA^^^^^^FAC"},
               {21, "Corrected laterality"}},
              "OBX|1|TX|X^Y^L||text||||||F\r"),
          &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  const JsonValue* doc_prov = nullptr;
  for (const JsonValue& e : c.result.bundle.find("entry")->items()) {
    const JsonValue* r = e.find("resource");
    if (r->find("resourceType")->text() == "Provenance" && r->find("target")->items().size() == 1)
      doc_prov = r;
  }
  ASSERT_NE(doc_prov, nullptr);
  EXPECT_EQ(Text(doc_prov, "recorded"), "2024-04-03T13:50:00-04:00");  // the last edit
  EXPECT_EQ(Text(doc_prov, "occurredDateTime"), "2024-04-02T12:45:00-04:00");
  EXPECT_EQ(Text(&doc_prov->find("reason")->items()[0], "text"), "Corrected laterality");
  EXPECT_EQ(doc_prov->find("agent")->items().size(), 2u);  // author + transcriptionist
  EXPECT_TRUE(HasWarning(c, "TXA-8", "earlier edit times not mapped"));
}

TEST(DocumentEvents, BadContentLinesWarnAndKeepTheMessage) {
  Converted c;
  Convert(Mdm("T02", {},
              "OBX|1|TX|X^Y^L||kept||||||F\rOBX|2|TX|X^Y^L||wrong line||||||W\r"
              "OBX|3|NM|X^Y^L||42||||||F\rOBX|4|ED|X^Y^L||^AP^PDF^Base64^not$base64||||||F\r"),
          &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  EXPECT_TRUE(HasWarning(c, "OBX[2]-11", "content line status"));
  EXPECT_TRUE(HasWarning(c, "OBX[3]-2", "value type not mapped"));
  EXPECT_TRUE(HasWarning(c, "OBX[4]-5", "not base64"));
  EXPECT_GE(First(c, "DocumentReference")->find("content")->items().size(), 2u);
}

TEST(DocumentEvents, NotesWithTheContentAreTextAttachments) {
  Converted c;
  Convert(Mdm("T02", {}, "OBX|1|TX|X^Y^L||text||||||F\rNTE|1||a note\r"), &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  const JsonValue& content = *First(c, "DocumentReference")->find("content");
  ASSERT_EQ(content.items().size(), 2u);
  EXPECT_EQ(Text(content.items()[1].find("attachment"), "data"), base64_encode("a note"));
  EXPECT_FALSE(HasWarning(c, "NTE", "note"));
}

TEST(DocumentEvents, UnreadableTimestampIsAWarning) {
  Converted c;
  Convert(Mdm("T02", {{4, "20240231X"}, {6, "not-a-time"}}, "OBX|1|TX|X^Y^L||text||||||F\r"), &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  EXPECT_TRUE(HasWarning(c, "TXA-6", "invalid timestamp"));
  EXPECT_TRUE(HasWarning(c, "TXA-4", "invalid timestamp"));
  EXPECT_EQ(First(c, "DocumentReference")->find("date"), nullptr);
}

// ---- SIU ---------------------------------------------------------------------

std::string Siu(std::string_view event, std::map<int, std::string> sch, std::string rest = "") {
  std::map<int, std::string> base = {{2, "A-1^FAC"}};
  for (auto& [k, v] : sch) base[k] = v;
  return "MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||SIU^" + std::string(event) +
         "|CTRL-1|P|2.5.1\r" + S("SCH", base) +
         S("TQ1", {{1, "1"}, {7, "202404150930-0400"}, {8, "202404151000-0400"}}) +
         "PID|1||P1^^^FAC^MR||DOE^JO\rRGS|1|A\r" + rest;
}

const std::string kAip = S("AIP", {{1, "1"}, {2, "A"}, {3, "123^DOC^DAN^^^^^^FAC"}});

std::string ResourceStatus(const Converted& c) {
  const JsonValue* parts = First(c, "Appointment")->find("participant");
  return Text(&parts->items().back(), "status");
}

TEST(ScheduleEvents, StatusByEventAndFillerStatus) {
  struct Case {
    const char* event;
    const char* sch25;
    const char* status;
  } kCases[] = {
      {"S12", "", "booked"},
      {"S13", "", "booked"},
      {"S14", "Pending", "pending"},
      {"S15", "", "cancelled"},
      {"S15", "Cancelled", "cancelled"},
      {"S16", "Dc", "cancelled"},
      {"S17", "", "entered-in-error"},
      {"S18", "Booked", "booked"},
      {"S19", "Started", "checked-in"},
      {"S20", "", "booked"},
      {"S21", "", "booked"},
      {"S22", "Overbook", "booked"},
      {"S26", "", "noshow"},
      {"S14", "Complete", "fulfilled"},
  };
  for (const Case& k : kCases) {
    Converted c;
    Convert(Siu(k.event, {{25, k.sch25}}, kAip), &c);
    ASSERT_TRUE(c.result.ok()) << k.event << ": " << Issues(c);
    EXPECT_EQ(Text(First(c, "Appointment"), "status"), k.status) << k.event << " " << k.sch25;
  }
  // The event wins over a contradicting filler status, with a warning.
  Converted c;
  Convert(Siu("S15", {{25, "Booked"}}, kAip), &c);
  EXPECT_EQ(Text(First(c, "Appointment"), "status"), "cancelled");
  EXPECT_TRUE(HasWarning(c, "SCH-25", "contradicts the event"));
}

TEST(ScheduleEvents, ResourcesTakenOffTheAppointmentAreDeclined) {
  struct Case {
    const char* event;
    std::string rest;
    const char* status;
  } kCases[] = {
      {"S14", kAip, "accepted"},
      {"S20", kAip, "declined"},  // cancel resource
      {"S21", kAip, "declined"},
      {"S22", kAip, "declined"},
      {"S14", S("AIP", {{1, "1"}, {2, "D"}, {3, "123^DOC^DAN^^^^^^FAC"}}), "declined"},
      {"S20", S("AIP", {{1, "1"}, {2, "D"}, {3, "123^DOC^DAN^^^^^^FAC"}, {12, "Booked"}}),
       "accepted"},                             // its own filler status says more
      {"S14", "RGS|2|D\r" + kAip, "declined"},  // a deleted resource group
  };
  for (const Case& k : kCases) {
    Converted c;
    Convert(Siu(k.event, {}, k.rest), &c);
    ASSERT_TRUE(c.result.ok()) << k.event << ": " << Issues(c);
    EXPECT_EQ(ResourceStatus(c), k.status) << k.event << " " << k.rest;
  }
}

// S20..S22 name some resources of an appointment: participants merge by
// actor; a defaulted status and absent timing keep the stored ones. S23/S24
// unite the Schedule's actors, and leave them alone when naming none.
TEST(ScheduleEvents, PartialEventsAreMarkedPartial) {
  Converted s14;
  Convert(Siu("S14", {}, kAip), &s14);
  EXPECT_EQ(Partial(s14, "Appointment"), "");
  Converted s20;
  Convert(Siu("S20", {{25, "Booked"}}, kAip), &s20);
  EXPECT_EQ(Partial(s20, "Appointment"), "by:participant/actor.reference");
  Converted bare;
  Convert("MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||SIU^S21|CTRL-1|P|2.5.1\r" +
              S("SCH", {{2, "A-1^FAC"}}) + "PID|1||P1^^^FAC^MR||DOE^JO\rRGS|1|A\r" + kAip,
          &bare);
  ASSERT_TRUE(bare.result.ok()) << Issues(bare);
  EXPECT_EQ(Partial(bare, "Appointment"),
            "keep:status,cancelationReason,start,end,minutesDuration "
            "by:participant/actor.reference");

  const std::string slot = "MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||SIU^S24|CTRL-1|P|2.5.1\r" +
                           S("SCH", {{2, "B-1^FAC"}, {5, "AM"}}) + "RGS|1|A\r";
  Converted named;
  Convert(slot + kAip, &named);
  EXPECT_EQ(Partial(named, "Schedule"), "by:actor/reference");
  Converted none;
  Convert(slot, &none);
  EXPECT_EQ(Partial(none, "Schedule"), "keep:actor");
}

TEST(ScheduleEvents, TimingFromTq1BeforeSch11) {
  Converted c;
  Convert(Siu("S13", {{11, "^^30^202404150800-0400^202404150830-0400"}}, kAip), &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  EXPECT_EQ(Text(First(c, "Appointment"), "start"), "2024-04-15T09:30:00-04:00");
  EXPECT_EQ(Text(First(c, "Appointment"), "end"), "2024-04-15T10:00:00-04:00");
  EXPECT_TRUE(HasWarning(c, "SCH-11.4", "differs from TQ1"));
}

TEST(ScheduleEvents, MissingTimingAndUnknownStatusNoLongerRefuse) {
  // No TQ1 and no SCH-11: the appointment is kept with absent start/end.
  Converted c;
  Convert(
      "MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||SIU^S12|CTRL-1|P|2.5.1\r"
      "SCH||A-3^FAC|||||||||||||||||||||||Mystery\rPID|1||P1^^^FAC^MR||DOE^JO\rRGS|1\r",
      &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  const JsonValue* a = First(c, "Appointment");
  EXPECT_EQ(Text(a, "status"), "booked");
  EXPECT_EQ(a->find("start"), nullptr);
  ASSERT_NE(a->find("_start"), nullptr);
  EXPECT_EQ(Text(&a->find("_start")->find("extension")->items()[0], "valueCode"), "unknown");
  EXPECT_TRUE(HasWarning(c, "SCH-11", "start and end (or duration) missing"));
  EXPECT_TRUE(HasWarning(c, "SCH-25", "no appointment status"));
  // No value of the message in any issue.
  ExpectNoContent(c.result, {"Mystery", "A-3"});
}

TEST(ScheduleEvents, UnreadableTimingIsAWarning) {
  Converted c;
  Convert("MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||SIU^S12|CTRL-1|P|2.5.1\r" +
              S("SCH", {{2, "A-4^FAC"}}) + S("TQ1", {{1, "1"}, {7, "tomorrow"}, {8, "2024"}}) +
              "PID|1||P1^^^FAC^MR||DOE^JO\rRGS|1\r" + kAip,
          &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  EXPECT_TRUE(HasWarning(c, "TQ1-7", "invalid timestamp"));
  EXPECT_NE(First(c, "Appointment")->find("_start"), nullptr);
}

TEST(ScheduleEvents, EventReasonContactsAndComments) {
  Converted c;
  Convert(Siu("S15", {{6, "PATCANCEL^Patient cancelled^HL70062"},
                      {16, "456^FILL^FRAN^^^^^^FAC"},
                      {17, "^WPN^PH^^1^555^5550199"},
                      {20, "789^DESK^DANA^^^^^^FAC"}}) +
              "NTE|1||first note\r" + kAip,
          &c);
  // The NTE sits after RGS here: it still annotates the appointment.
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  const JsonValue* a = First(c, "Appointment");
  EXPECT_EQ(Text(a->find("cancelationReason"), "text"), "Patient cancelled");
  EXPECT_EQ(Text(a, "comment"), "first note");
  int info_only = 0;
  for (const JsonValue& p : a->find("participant")->items())
    info_only += Text(&p, "required") == "information-only";
  EXPECT_EQ(info_only, 2);  // filler contact + entered by
  // app-4: a deleted (entered-in-error) appointment has no cancelationReason.
  Converted deleted;
  Convert(Siu("S17", {{6, "ERR^Booked in error^HL70062"}}, kAip), &deleted);
  ASSERT_TRUE(deleted.result.ok()) << Issues(deleted);
  EXPECT_EQ(First(deleted, "Appointment")->find("cancelationReason"), nullptr);
  EXPECT_EQ(Text(&First(deleted, "Provenance")->find("reason")->items()[0], "text"),
            "Booked in error");
  // SCH-6 and SCH-20 describe the message Provenance too (SIU has no EVN).
  const JsonValue* prov = First(c, "Provenance");
  EXPECT_EQ(Text(&prov->find("reason")->items()[0], "text"), "Patient cancelled");
  EXPECT_EQ(prov->find("agent")->items().size(), 2u);
}

TEST(ScheduleEvents, BlockedAndOpenedTimeIsASlotOfTheResourcesSchedule) {
  for (auto [event, status] : {std::pair{"S23", "busy-unavailable"}, std::pair{"S24", "free"}}) {
    Converted c;
    Convert("MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||SIU^" + std::string(event) +
                "|CTRL-1|P|2.5.1\r" +
                S("SCH", {{2, "B-1^FAC"}, {5, "AM^Morning clinic"}, {25, "Blocked"}}) +
                S("TQ1", {{1, "1"}, {7, "202404170800-0400"}, {8, "202404170900-0400"}}) +
                "NTE|1||meeting\rRGS|1|A\r" + kAip,
            &c);
    ASSERT_TRUE(c.result.ok()) << event << ": " << Issues(c);
    EXPECT_EQ(First(c, "Appointment"), nullptr) << event;
    const JsonValue* slot = First(c, "Slot");
    EXPECT_EQ(Text(slot, "status"), status) << event;
    EXPECT_EQ(Text(slot, "start"), "2024-04-17T08:00:00-04:00");
    EXPECT_EQ(Text(slot, "comment"), "meeting");
    const JsonValue* schedule = First(c, "Schedule");
    EXPECT_EQ(Text(&schedule->find("identifier")->items()[0], "value"), "AM");
    ASSERT_EQ(schedule->find("actor")->items().size(), 1u);
    EXPECT_NE(schedule->find("actor")->items()[0].find("reference"), nullptr);
  }
  // No timing and no resource: still a Slot, with absent values marked.
  Converted bare;
  Convert(
      "MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||SIU^S23|CTRL-1|P|2.5.1\r"
      "SCH||B-2^FAC\rRGS|1\r",
      &bare);
  ASSERT_TRUE(bare.result.ok()) << Issues(bare);
  EXPECT_NE(First(bare, "Slot")->find("_start"), nullptr);
  EXPECT_NE(First(bare, "Schedule")->find("actor"), nullptr);
}

}  // namespace
}  // namespace gw::v2fhir::testing
