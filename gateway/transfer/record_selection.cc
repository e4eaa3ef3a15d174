#include "gateway/transfer/record_selection.h"

#include <map>
#include <set>
#include <string_view>

#include "fhir/json/canonical.h"
#include "fhir/json/json.h"
#include "fhir/validate/validator.h"
#include "gateway/crypto/commitment.h"
#include "gateway/labels/record_scope.h"

namespace gw::transfer {
namespace {

using fhir::JsonValue;
using Key = std::pair<std::string, std::string>;  // (type, id)

// Resources that describe the care setting rather than the patient: sent when
// a sent record references them.
constexpr std::string_view kDirectoryTypes[] = {"Practitioner", "PractitionerRole", "Organization",
                                                "Location"};
bool is_directory_type(std::string_view type) {
  for (std::string_view t : kDirectoryTypes) {
    if (t == type) return true;
  }
  return false;
}

struct Candidate {
  store::StoredRecord stored;
  JsonValue resource;
  bool changed = false;
};

// "Type/id" -> (type, id) for relative references; nullopt otherwise.
std::optional<Key> relative_target(std::string_view ref) {
  const size_t slash = ref.find('/');
  if (slash == std::string_view::npos || slash == 0 || ref.find("://") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view id = ref.substr(slash + 1);
  id = id.substr(0, id.find('/'));  // "Type/id/_history/n"
  if (id.empty()) return std::nullopt;
  return Key{std::string(ref.substr(0, slash)), std::string(id)};
}

void collect_targets(const JsonValue& v, std::set<Key>* out) {
  if (v.is_array()) {
    for (const JsonValue& item : v.items()) collect_targets(item, out);
  } else if (v.is_object()) {
    for (const fhir::JsonMember& m : v.members()) {
      if (m.key == "reference" && m.value.is_string()) {
        if (auto t = relative_target(m.value.text())) out->insert(*t);
      } else {
        collect_targets(m.value, out);
      }
    }
  }
}

// Removes every Reference whose relative target is not in `kept`; returns how
// many. A Reference object that names a missing record goes as a whole (its
// display or identifier would describe what was withheld).
size_t prune(JsonValue& v, const std::set<Key>& kept) {
  size_t removed = 0;
  auto dangling = [&](const JsonValue& item) {
    if (!item.is_object()) return false;
    const JsonValue* ref = item.find("reference");
    if (ref == nullptr || !ref->is_string()) return false;
    auto t = relative_target(ref->text());
    return t.has_value() && kept.count(*t) == 0;
  };
  if (v.is_array()) {
    auto& items = v.mutable_items();
    for (auto it = items.begin(); it != items.end();) {
      if (dangling(*it)) {
        it = items.erase(it);
        ++removed;
      } else {
        removed += prune(*it, kept);
        it = it->empty() ? items.erase(it) : it + 1;
      }
    }
  } else if (v.is_object()) {
    std::vector<std::string> drop;
    for (const fhir::JsonMember& m : v.members()) {
      if (dangling(m.value)) drop.push_back(m.key);
    }
    for (const std::string& key : drop) {
      v.remove(key);
      ++removed;
    }
    std::vector<std::string> emptied;
    for (const fhir::JsonMember& m : v.members()) {
      removed += prune(*v.find_mutable(m.key), kept);
      if (m.value.is_array() && m.value.empty()) emptied.push_back(m.key);
      if (m.value.is_object() && m.value.empty()) emptied.push_back(m.key);
    }
    for (const std::string& key : emptied) v.remove(key);
  }
  return removed;
}

bool in_scope(const JsonValue& resource, const SelectionScope& scope, Selection* out) {
  const uint64_t categories = labels::record_category_bits(resource);
  if (categories == 0 || (categories & ~scope.categories) != 0) {
    ++out->out_of_scope;
    return false;
  }
  if ((labels::record_label_bits(resource) & scope.exclusions) != 0) {
    ++out->excluded_by_label;
    return false;
  }
  return true;
}

}  // namespace

Result<Selection> select_records(store::MessageStore& store,
                                 const std::vector<std::string>& patient_ids,
                                 const SelectionScope& scope) {
  Selection out;
  std::map<Key, Candidate> kept;
  const size_t limit = scope.max_records + 1;
  auto parse = [](const store::StoredRecord& r) -> Result<JsonValue> {
    auto parsed =
        fhir::parse_json(r.resource_json, fhir::own_document_limits(r.resource_json.size()));
    if (!parsed.ok()) return data_loss_error("a stored record does not parse");
    return std::move(parsed).value();
  };
  // Takes the record with the resource already parsed from it; the first
  // version kept of a (type, id) stays.
  auto consider = [&](store::StoredRecord r, JsonValue resource) {
    Key key{r.resource_type, r.resource_id};
    if (kept.count(key) != 0) return;
    kept.emplace(std::move(key), Candidate{std::move(r), std::move(resource), false});
  };
  size_t seen = 0;
  for (const std::string& patient : patient_ids) {
    for (store::StoredRecord& r : store.patient_compartment(patient, limit)) {
      ++seen;
      GW_ASSIGN_OR_RETURN(JsonValue resource, parse(r));
      if (!in_scope(resource, scope, &out)) continue;
      consider(std::move(r), std::move(resource));
    }
  }
  if (seen == 0) return not_found_error("no records of this patient are stored");
  // Directory resources the kept records point at.
  std::set<Key> targets;
  for (const auto& [key, c] : kept) collect_targets(c.resource, &targets);
  for (const Key& t : targets) {
    if (kept.count(t) != 0 || !is_directory_type(t.first)) continue;
    if (auto r = store.read_record(t.first, t.second)) {
      GW_ASSIGN_OR_RETURN(JsonValue resource, parse(*r));
      consider(std::move(*r), std::move(resource));
    }
  }
  if (kept.size() > scope.max_records) {
    return resource_exhausted_error("the patient has more than " +
                                    std::to_string(scope.max_records) +
                                    " records in scope; a transfer carries at most that many");
  }
  // Prune references to what stays home until every sent record is valid.
  for (bool changed = true; changed;) {
    changed = false;
    std::set<Key> keys;
    for (const auto& [key, c] : kept) keys.insert(key);
    for (auto it = kept.begin(); it != kept.end();) {
      Candidate& c = it->second;
      const size_t removed = prune(c.resource, keys);
      if (removed > 0) {
        out.references_removed += removed;
        c.changed = true;
        if (!fhir::validate_resource(c.resource).ok()) {
          ++out.invalid_after_pruning;
          it = kept.erase(it);
          changed = true;
          continue;
        }
      }
      ++it;
    }
  }
  if (kept.empty()) {
    return failed_precondition_error("none of the patient's records is within the consent");
  }
  std::vector<Hash256> commitments;
  for (auto& [key, c] : kept) {
    PayloadRecord r;
    r.resource_type = key.first;
    r.resource_id = key.second;
    if (c.changed) {
      auto canonical = fhir::canonicalize(c.resource);
      if (!canonical.ok()) return internal_error("a pruned record does not canonicalize");
      r.resource_json = std::move(canonical).value();
      const crypto::Commitment fresh = crypto::commit(r.resource_json);
      r.salt = fresh.salt;
      r.commitment = fresh.digest;
    } else if (crypto::commitment_digest(c.stored.commit_salt, c.stored.resource_json) ==
               c.stored.commitment) {
      r.resource_json = std::move(c.stored.resource_json);
      r.salt = c.stored.commit_salt;
      r.commitment = c.stored.commitment;
    } else {
      // No usable stored commitment (a version written before commitments
      // existed): committed for this transfer.
      r.resource_json = std::move(c.stored.resource_json);
      const crypto::Commitment fresh = crypto::commit(r.resource_json);
      r.salt = fresh.salt;
      r.commitment = fresh.digest;
    }
    commitments.push_back(r.commitment);
    out.records.push_back(std::move(r));
  }
  out.root = *commitment_root(commitments);
  return out;
}

}  // namespace gw::transfer
