// Labeling: each record about to be written gets, in meta.security, the v3
// ActCode sensitivity labels its codes call for (label_rules.h), so that a
// consent's excluded labels can mean something when records are transferred.
//
// Both writers call label_records just before they submit, beside tokenize
// (gateway/pipeline/tokenize.h): the MLLP pipeline after v2-to-FHIR mapping
// (the mapper's output, and its goldens, carry no labels) and the FHIR REST
// API; `gatewayctl records relabel` applies changed rules to stored records.
//
// What is matched, per resource type, is in kElements (labeler.cc) and
// README.md here. Labels are only ever added: labels already in meta.security
// (from a REST client, or from an earlier rule) are kept, whatever the rules
// say now; over-labeling is the safe side of a consent exclusion.
//
// Propagation: a record that points at labeled records in the same batch
// (a DiagnosticReport's result Observations, an Encounter's diagnosis
// Conditions, a reasonReference) takes their sensitivity labels, because it
// discloses what they say. Labels never flow the other way (a Patient
// referenced by a PSY Condition stays unlabeled: demographics would otherwise
// carry every label of the chart).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/base/status.h"
#include "gateway/labels/label_rules.h"
#include "gateway/store/message_store.h"

namespace gw::labels {

// Labels of `resource` from its own coded elements (no propagation, no
// meta.security): scope.h label bits.
uint64_t direct_label_bits(const LabelRules& rules, const fhir::JsonValue& resource);

// Adds one meta.security Coding (v3-ActCode system, code, display) for every
// sensitivity label in `bits` that `resource` does not carry yet, then sorts
// meta.security by (system, code) and drops repeated (system, code) pairs.
// Returns false, changing nothing, when every label is already there.
bool add_security_labels(uint64_t bits, fhir::JsonValue* resource);

// Labels of records outside the batch, by "Type/id" (0: unknown or none);
// `gatewayctl records relabel` passes the labels of the whole store.
using OutsideLabels = std::function<uint64_t(std::string_view type_and_id)>;

// Labels every record of one write batch in place (own codes, then labels
// propagated along references within the batch, or to `outside`), rewriting
// resource_json canonically for the records that gain a label; the others are
// untouched (not even re-serialized). Sets *changed (if given) to the number
// of records rewritten. Fails (internal) only on a record whose JSON does not
// parse, which the writers never produce; nothing is changed then.
gw::Status label_records(const LabelRules& rules, std::vector<store::RecordWrite>* records,
                         const OutsideLabels& outside = nullptr, size_t* changed = nullptr);

}  // namespace gw::labels
