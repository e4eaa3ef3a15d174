// The value-level rules of Safe Harbor, as pure functions (internal to
// gateway/deid; the element walk in walker.cc applies them).
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

namespace gw::deid::internal {

template <size_t N>
bool listed(const std::array<std::string_view, N>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// "2026", "2026-03" and "2026-03-04T10:00:00Z" -> "2026": FHIR date and
// dateTime values keep only the year, which is itself a valid date and
// dateTime. nullopt when `value` does not start with four digits.
std::optional<std::string> year_only(std::string_view value);

enum class BirthAge { kUnder90, k90OrOlder, kUnknown };
// Whether someone born on `birth_date` (FHIR date: YYYY, YYYY-MM or
// YYYY-MM-DD) may be 90 or older on `reference`. A partial date counts from
// its earliest day, so a year-only birth date is 90+ as soon as any day of
// that year would be (Safe Harbor groups "all ages over 89"). kUnknown for a
// value that is not such a date or lies after `reference`.
BirthAge birth_age(std::string_view birth_date, std::chrono::year_month_day reference);

// The last day a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD...) may
// denote: a death date read this way gives the oldest age the person may
// have reached. nullopt for anything else.
std::optional<std::chrono::year_month_day> latest_day(std::string_view date);

// A US ZIP code reduced to its first three digits, or "000" for a prefix in
// `restricted` (areas of 20,000 people or fewer). nullopt, so the caller
// drops it, for anything else: non-US addresses (`country` set and not the
// US), or text that is not a 5- or 9-digit ZIP.
std::optional<std::string> zip3(std::string_view postal_code, std::string_view country,
                                std::span<const std::string> restricted);

// An age Quantity in years: `value_text` is the JSON number text, `ucum` the
// UCUM unit code (a, mo, wk, d, h, min; empty or unknown counts as years, so
// that an unlabelled 92 is still grouped). nullopt if the number is unusable.
std::optional<double> age_in_years(std::string_view value_text, std::string_view ucum);

// Words (runs of letters, digits and non-ASCII bytes, ASCII lower-cased) of
// the identifying values found in the input: names, identifiers, contact
// points, street addresses, reference displays. Any string kept by a
// coded-safe rule (Coding.display, units, state) that contains one of them as
// a word is dropped too: defence in depth against a name typed into a
// display.
class PhiWords {
 public:
  void add(std::string_view value);
  bool matches(std::string_view text) const;
  size_t size() const { return words_.size(); }

 private:
  std::unordered_set<std::string> words_;
};

}  // namespace gw::deid::internal
