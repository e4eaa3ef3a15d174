#include "gateway/deid/rules.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace gw::deid::internal {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

int to_int(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

bool is_word_char(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Calls f(word) for each word of `text`, lower-cased.
template <typename F>
void for_each_word(std::string_view text, F&& f) {
  std::string word;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && is_word_char(static_cast<unsigned char>(text[i]))) {
      word.push_back(lower(text[i]));
      continue;
    }
    if (!word.empty() && f(word)) return;
    word.clear();
  }
}

}  // namespace

std::optional<std::string> year_only(std::string_view value) {
  if (value.size() < 4 || !all_digits(value.substr(0, 4))) return std::nullopt;
  if (value.size() > 4 && value[4] != '-') return std::nullopt;
  return std::string(value.substr(0, 4));
}

BirthAge birth_age(std::string_view birth_date, std::chrono::year_month_day reference) {
  // YYYY, YYYY-MM or YYYY-MM-DD; a missing part is its earliest value.
  if (birth_date.size() != 4 && birth_date.size() != 7 && birth_date.size() != 10)
    return BirthAge::kUnknown;
  if (!all_digits(birth_date.substr(0, 4))) return BirthAge::kUnknown;
  int year = to_int(birth_date.substr(0, 4));
  unsigned month = 1, day = 1;
  if (birth_date.size() >= 7) {
    if (birth_date[4] != '-' || !all_digits(birth_date.substr(5, 2))) return BirthAge::kUnknown;
    month = static_cast<unsigned>(to_int(birth_date.substr(5, 2)));
  }
  if (birth_date.size() == 10) {
    if (birth_date[7] != '-' || !all_digits(birth_date.substr(8, 2))) return BirthAge::kUnknown;
    day = static_cast<unsigned>(to_int(birth_date.substr(8, 2)));
  }
  std::chrono::year_month_day born{std::chrono::year{year}, std::chrono::month{month},
                                   std::chrono::day{day}};
  if (!born.ok() || !reference.ok() || born > reference) return BirthAge::kUnknown;
  int age = static_cast<int>(reference.year()) - year;
  if (std::pair(unsigned(reference.month()), unsigned(reference.day())) < std::pair(month, day))
    --age;
  return age >= 90 ? BirthAge::k90OrOlder : BirthAge::kUnder90;
}

std::optional<std::chrono::year_month_day> latest_day(std::string_view date) {
  using namespace std::chrono;
  if (date.size() < 4 || !all_digits(date.substr(0, 4))) return std::nullopt;
  year y{to_int(date.substr(0, 4))};
  if (date.size() == 4) return year_month_day{y, December, day{31}};
  if (date.size() < 7 || date[4] != '-' || !all_digits(date.substr(5, 2))) return std::nullopt;
  month m{static_cast<unsigned>(to_int(date.substr(5, 2)))};
  if (date.size() == 7) {
    year_month_day last{year_month_day_last{y, month_day_last{m}}};
    return last.ok() ? std::optional(last) : std::nullopt;
  }
  if (date.size() < 10 || date[7] != '-' || !all_digits(date.substr(8, 2))) return std::nullopt;
  year_month_day ymd{y, m, day{static_cast<unsigned>(to_int(date.substr(8, 2)))}};
  return ymd.ok() ? std::optional(ymd) : std::nullopt;
}

std::optional<std::string> zip3(std::string_view postal_code, std::string_view country,
                                std::span<const std::string> restricted) {
  if (!country.empty()) {
    std::string c;
    for (char ch : country) c.push_back(lower(ch));
    if (c != "us" && c != "usa" && c != "united states" && c != "united states of america")
      return std::nullopt;
  }
  bool zip5 = postal_code.size() == 5 && all_digits(postal_code);
  bool zip9 = postal_code.size() == 9 && all_digits(postal_code);
  bool zip_plus4 = postal_code.size() == 10 && all_digits(postal_code.substr(0, 5)) &&
                   postal_code[5] == '-' && all_digits(postal_code.substr(6));
  if (!zip5 && !zip9 && !zip_plus4) return std::nullopt;
  std::string prefix(postal_code.substr(0, 3));
  if (std::find(restricted.begin(), restricted.end(), prefix) != restricted.end()) return "000";
  return prefix;
}

std::optional<double> age_in_years(std::string_view value_text, std::string_view ucum) {
  std::string text(value_text);
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  double per_year = 1;
  if (ucum == "mo") per_year = 12;
  if (ucum == "wk") per_year = 52.1775;
  if (ucum == "d") per_year = 365.25;
  if (ucum == "h") per_year = 365.25 * 24;
  if (ucum == "min") per_year = 365.25 * 24 * 60;
  return v / per_year;
}

void PhiWords::add(std::string_view value) {
  // One-letter words (initials) would match too much ordinary text.
  for_each_word(value, [&](const std::string& w) {
    if (w.size() >= 2) words_.insert(w);
    return false;
  });
}

bool PhiWords::matches(std::string_view text) const {
  bool found = false;
  for_each_word(text, [&](const std::string& w) { return found = words_.count(w) != 0; });
  return found;
}

}  // namespace gw::deid::internal
