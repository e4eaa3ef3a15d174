// Mapping state shared by the segment mappers of one message.
//
// convert_message() walks the segments in order and calls one mapper per
// segment id (segment_table.cc). Each mapper reads its segment, builds FHIR
// resources with the datatype functions (datatypes.h) and hands them to the
// MappingContext, which
//  - gives every resource its deterministic id (ids.h) from
//    "sender|resourceType|business-key" and de-duplicates resources with the
//    same key (a Practitioner named twice is one entry);
//  - remembers where we are in the message structure (the current patient,
//    encounter, order, report, observation and the resource the next NTE
//    belongs to), which is how groups are recognised: an OBX after an OBR
//    belongs to that OBR's report, and so on;
//  - collects errors and warnings with their IssueLocation (rendered
//    "OBX[3]-5.2"). Issue texts are fixed strings chosen by the mapper, NEVER
//    message values.
//
// Adding a segment (for another helper): write map_xyz(MappingContext&, const
// Seg&) in a new file, add one line to segment_table.cc; set the
// cursor fields your segment opens (e.g. `ctx.cursor.order`) and
// `ctx.cursor.note_target` if NTE may follow.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/hl7/er7.h"
#include "adapters/v2fhir/convert.h"
#include "adapters/v2fhir/mapping_config.h"
#include "adapters/v2fhir/time_zone.h"
#include "fhir/json/json.h"

namespace gw::v2fhir {

// Which fields of the message the mappers have read: one bit per field of
// every segment. A non-empty field no mapper read is reported "field not
// mapped", so nothing the sender wrote disappears without a word.
class FieldUse {
 public:
  void reset(const std::vector<hl7::SegmentView>& segments);
  // Bit index of field 1 of segment `index` (field n is base + n - 1).
  uint32_t base(size_t index) const { return base_[index]; }
  void mark(uint32_t bit) { bits_[bit >> 6] |= uint64_t{1} << (bit & 63); }
  bool marked(uint32_t bit) const { return (bits_[bit >> 6] >> (bit & 63)) & 1; }

 private:
  std::vector<uint32_t> base_;
  std::vector<uint64_t> bits_;
};

// One segment being mapped, with its 1-based occurrence among segments of the
// same id (for issue locations). Reading a field through field(), at() or
// text() records it as used (see FieldUse); read fields only through these.
struct Seg {
  hl7::SegmentView view;
  int occurrence = 1;
  bool repeated = false;    // the message has more than one segment with this id
  FieldUse* use = nullptr;  // null: reads are not recorded (unit tests)
  uint32_t use_base = 0;

  std::string_view id() const { return view.id(); }
  hl7::Element field(int n) const {
    touch(n);
    return view.field(n);
  }
  // Repetition `rep` (1-based) of field n, optionally one component/sub.
  hl7::Element at(int n, int rep = 1, int component = 0, int sub = 0) const {
    touch(n);
    return view.at(n, rep, component, sub);
  }
  // Trimmed decoded text of field[.component[.subcomponent]] of the first
  // repetition; "" when absent or null ("" in v2).
  std::string text(int field, int component = 0, int sub = 0) const;
  // What field n says about what a receiver already holds (HL7 v2.5.1 ch. 2,
  // null values): silent() when it is empty or holds only delimiters and
  // spaces (no information: keep what is held); null() when it is the
  // explicit null "" (delete what is held). Neither counts as a read.
  bool silent(int n) const;
  bool null(int n) const { return view.field(n).is_null(); }
  // Records field n as used without reading it: for fields a mapper accounts
  // for otherwise (MSH fields read from the parsed header, set ids that only
  // number segments).
  void touch(int n) const {
    if (use != nullptr && n >= 1 && n <= view.field_count())
      use->mark(use_base + static_cast<uint32_t>(n - 1));
  }
};

// Handle of a resource entry in the bundle being built; -1 = none.
using EntryRef = int;
inline constexpr EntryRef kNoEntry = -1;

// How an entry is sent in the transaction Bundle.
enum class RequestKind {
  kConditionalUpdate,  // PUT Type?identifier=system|value (first identifier)
  kUpdateById,         // PUT Type/<deterministic id> (resources without identifier)
};

struct Entry {
  std::string type;  // resourceType
  std::string id;    // deterministic UUID (fullUrl is "urn:uuid:" + id)
  fhir::JsonValue resource;
  RequestKind request = RequestKind::kConditionalUpdate;
  // What of `resource` the message carries only partly (convert.h); set by
  // the mapper that knows the event sends part of the resource.
  PartialUpdate partial;
};

// Where the walk currently is in the message structure.
struct Cursor {
  EntryRef patient = kNoEntry;
  std::string patient_key;  // business key of the current patient ("system|value")
  EntryRef encounter = kNoEntry;
  std::string encounter_key;
  EntryRef order = kNoEntry;   // ServiceRequest of the current ORC/OBR
  EntryRef report = kNoEntry;  // DiagnosticReport of the current OBR
  std::string order_key;       // filler (else placer) order number key
  EntryRef observation = kNoEntry;
  EntryRef note_target = kNoEntry;  // the resource an NTE here annotates
  std::string note_owner;           // segment id that set note_target ("PID", "OBR", "OBX", ...)
  int obx_in_order = 0;             // OBX position within the current OBR
  std::string order_effective;      // OBR-7 (fallback for Observation.effective)
  std::string order_section;        // OBR-24 (else the configured default): v2-0074 code
  // An ORC's ServiceRequest, completed by the OBR that follows.
  fhir::JsonValue pending_orc;
  std::string pending_orc_key;
  IssueLocation pending_orc_seg;
  // Pharmacy messages (seg_pharmacy_*.cc): the order group the RX* segments
  // after an ORC belong to. rx_order_key: the ORC's order number key;
  // rx_order_id: its first identifier (for references without an order
  // entry); rx_request: the group's MedicationRequest (RXO/RXE); rx_current:
  // the resource RXR/RXC/TQ1 complete (in a VXU: the Immunization of the
  // current RXA, for its RXR and OBX); rx_medication: its Medication.
  std::string rx_order_key;
  fhir::JsonValue rx_order_id;
  int rx_orc_index = -1;
  EntryRef rx_request = kNoEntry;
  EntryRef rx_current = kNoEntry;
  EntryRef rx_medication = kNoEntry;
  EntryRef account = kNoEntry;  // Account of the current PID-18 (Encounter.account)
  bool account_silent = true;   // the current PID-18 is empty (seg_adt_update.cc)
  // Laboratory messages (lab.h): the Specimen of the current SPM (or SAC
  // without SPM); OBX that directly follow an SPM are observations of the
  // specimen, not results of the order; ORC-10 enterer and ORC-1 of the
  // pending ORC for the order's Provenance; ORC-12.1 to compare OBR-16;
  // every order with its key (a child order finds its parent by OBR-29) and
  // the parent result (OBR-26) the current order's results are members of.
  EntryRef specimen = kNoEntry;
  std::string specimen_key;
  bool specimen_observations = false;
  std::vector<std::pair<EntryRef, std::string>> orders;
  EntryRef parent_result = kNoEntry;
  // Results of one laboratory repeat OBX-18 and OBX-23..25 on every OBX: the
  // raw text of the last ones and what they mapped to (seg_lab.cc).
  std::string device_raw, performer_raw;
  EntryRef device = kNoEntry, performing_org = kNoEntry, director_role = kNoEntry;
  EntryRef pending_orc_enterer = kNoEntry;
  std::string pending_orc_control;
  std::string pending_orc_requester_id;
  // Finance, problem and referral messages (finance.h): the Condition of the
  // current PRB (PPR), the referral ServiceRequest an RF1 opens before its
  // PID (REF), and the last PRD's entries (for the CTD that follows it). The
  // Account of the current PID is `account` above.
  EntryRef problem = kNoEntry;
  EntryRef referral = kNoEntry;
  fhir::JsonValue pending_referral;
  std::string pending_referral_key;
  EntryRef provider_role = kNoEntry;
  EntryRef provider_organization = kNoEntry;
};

class MappingContext {
 public:
  MappingContext(const hl7::Message& message, const MappingConfig& config,
                 std::shared_ptr<const TimeZone> zone);

  const hl7::Message& message() const { return message_; }
  const MappingConfig& config() const { return config_; }
  const TimeZone& zone() const { return *zone_; }
  // The sending facility (MSH-4.1, else MSH-4.2, else MSH-3.1) as used in
  // ids and minted URNs; never empty ("unknown").
  const std::string& sender() const { return sender_; }
  // "urn:gateway:sender:<sender>" (escaped).
  const std::string& sender_urn() const { return sender_urn_; }
  const std::string& trigger_event() const { return event_; }  // MSH-9.2, e.g. "A01"

  // ---- Segments of the message, with read tracking -------------------------
  size_t segment_count() const { return segments_.size(); }
  // Segment `index` (0-based, MSH is 0) with its occurrence and read tracking.
  // Mappers that read another segment than their own (a TXA reading the OBX
  // content that follows it) take it from here so its reads count.
  Seg segment(size_t index);
  // Warns "field not mapped" at every non-empty field of a mapped segment
  // that no mapper read. `mapped[i]`: segment i had a mapper.
  void warn_unread_fields(const std::vector<bool>& mapped);

  // ---- Issues: location from location(), fixed text only ------------------
  void error(IssueLocation location, std::string text);
  void warning(IssueLocation location, std::string text);
  // A position in `seg` (rendered "PID-7", "OBX[3]-5.2", "PID-3(2).4": the
  // occurrence shown when the message has several segments with this id, the
  // repetition when > 0).
  static IssueLocation location(const Seg& seg, int field = 0, int component = 0,
                                int repetition = 0);
  std::vector<MappingIssue>& errors() { return errors_; }
  std::vector<MappingIssue>& warnings() { return warnings_; }

  // ---- Entries --------------------------------------------------------------
  // Adds a resource (must have "resourceType" == type) under business key
  // `key`, or returns the existing entry with the same type and key (then
  // `resource` is dropped: the first mapping wins). If the resource has no
  // identifier, one is minted: system "<sender_urn>:resource-id", value = the
  // deterministic id, so replays find the same resource (whichever segment
  // names it).
  EntryRef add(std::string_view type, std::string_view key, fhir::JsonValue resource);
  // Same, but the minted identifier is always added, first: for resources
  // whose business identifiers do not identify them alone (orders sharing a
  // filler number, told apart by their service code), so the conditional
  // update that the first identifier drives matches this resource only.
  EntryRef add_with_key_identifier(std::string_view type, std::string_view key,
                                   fhir::JsonValue resource);
  // Adds a resource that has no identifier element (MessageHeader,
  // Provenance), sent as PUT Type/<deterministic id>.
  EntryRef add_created(std::string_view type, std::string_view key, fhir::JsonValue resource);
  EntryRef find(std::string_view type, std::string_view key) const;
  fhir::JsonValue& resource(EntryRef ref) { return entries_[ref].resource; }
  const Entry& entry(EntryRef ref) const { return entries_[ref]; }
  std::vector<Entry>& entries() { return entries_; }
  // {"reference": "urn:uuid:<id>"}
  fhir::JsonValue reference(EntryRef ref) const;
  // Resources the MessageHeader focuses on (e.g. Patient, Encounter, report).
  void add_focus(EntryRef ref);
  const std::vector<EntryRef>& focus() const { return focus_; }

  // The first entry of a resource type (Z-segment rules attach there).
  EntryRef first_of_type(std::string_view type) const;

  Cursor cursor;

  // Set from the message profile before the walk.
  std::string encounter_status;     // Encounter.status for this event; "" = from PV1-44/45
  bool obr_creates_report = false;  // ORU: each OBR also yields a DiagnosticReport

  // Filled by the MSH and EVN mappers, used for the Provenance.
  EntryRef message_header = kNoEntry;
  EntryRef sending_organization = kNoEntry;
  struct EventInfo {
    std::string recorded;         // EVN-2 (dateTime)
    std::string occurred;         // EVN-6 (dateTime)
    fhir::JsonValue reason;       // EVN-4 (CodeableConcept, v2-0062)
    EntryRef enterer = kNoEntry;  // EVN-5 operator (Practitioner)
    EntryRef place = kNoEntry;    // EVN-7 event facility (Location): Provenance.location
  } event_info;

  // Results with the same key (same code, no sub-id) are told apart by rank
  // (seg_obx.cc): per key, the last rank given. Ranks 2..n-1 are taken, so
  // the search for a free rank starts at n instead of 2 (twenty such
  // results cost 20 lookups, not 210).
  std::map<std::string, int, std::less<>> result_ranks;

 private:
  EntryRef add_entry(std::string_view type, std::string_view key, fhir::JsonValue resource,
                     bool always_mint);

  const hl7::Message& message_;
  const MappingConfig& config_;
  std::shared_ptr<const TimeZone> zone_;
  std::string sender_, sender_urn_, event_;
  std::vector<MappingIssue> errors_, warnings_;
  std::vector<Entry> entries_;
  std::map<std::string, EntryRef, std::less<>> by_key_;  // "type|key" -> entry
  std::vector<EntryRef> focus_;
  std::vector<hl7::SegmentView> segments_;
  std::vector<int> occurrence_;  // per segment: 1-based occurrence of its id
  std::vector<bool> repeated_;   // per segment: its id occurs more than once
  FieldUse field_use_;
};

// True for a field that only numbers its segment (field 1 of PID, OBX, DG1,
// ...): it is structure, so it is never reported unread.
bool is_set_id_field(std::string_view segment_id, int field);

// Trims ASCII spaces and tabs at both ends.
std::string trim(std::string_view s);

}  // namespace gw::v2fhir
