#include "tests/support/corpus_generator.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <initializer_list>
#include <utility>
#include <vector>

#include "tests/support/corpus_words.h"

namespace gw::testing {
namespace {

using namespace corpus;  // the word lists and code tables

// splitmix64: a tiny, well-mixed generator whose output depends only on its
// state, so streams are the same on every platform and standard library
// (std::mt19937 is too, but its distributions are not).
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t mix(uint64_t a, uint64_t b) { return mix(a ^ mix(b + 0x632be59bd9b4e019ULL)); }

class Rng {
 public:
  explicit Rng(uint64_t state) : s_(state) {}
  uint64_t next() { return mix(s_++); }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
  bool percent(uint32_t p) { return below(100) < p; }
  template <typename T, size_t N>
  const T& pick(const std::array<T, N>& a) {
    return a[below(N)];
  }

 private:
  uint64_t s_;
};

// Salts that keep the streams drawn from one seed apart.
enum Stream : uint64_t { kMessage = 1, kEpisode, kPatient, kPractitioner };

// The one-line segment builder: fields by number (1-based after the id),
// joined with '|', trailing empty fields left out.
std::string segment(const char* id, std::initializer_list<std::pair<int, std::string>> fields) {
  int last = 0;
  for (const auto& f : fields)
    if (!f.second.empty()) last = std::max(last, f.first);
  std::vector<std::string> values(static_cast<size_t>(last) + 1);
  for (const auto& f : fields)
    if (!f.second.empty()) values[static_cast<size_t>(f.first)] = f.second;
  std::string out = id;
  for (int i = 1; i <= last; ++i) out += '|' + values[static_cast<size_t>(i)];
  out += '\r';
  return out;
}

std::string digits(uint64_t v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(v));
  return buf;
}

// HL7 DTM (YYYYMMDDHHMMSS) of seconds since 1970 (UTC), civil calendar.
std::string dtm(int64_t t) {
  int64_t days = t / 86400, secs = t % 86400;
  // Howard Hinnant's days_from_civil inverse.
  days += 719468;
  const int64_t era = days / 146097, doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", static_cast<int>(y % 10000),
                static_cast<int>(m), static_cast<int>(d), static_cast<int>(secs / 3600),
                static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
  return buf;
}

std::string tenths(int v) { return std::to_string(v / 10) + "." + std::to_string(v % 10); }

constexpr int64_t kEpoch = 1704067200;  // 2024-01-01T00:00:00Z

struct Patient {
  const Hospital* hospital;
  std::string mrn, ssn, family, given, middle, sex, dob, address, phone, race;
};

Patient patient_of(uint64_t seed, uint64_t number) {
  Rng r(mix(seed, mix(kPatient, number)));
  Patient p;
  p.hospital = &kHospitals[number % kHospitals.size()];
  p.mrn = "M" + digits(number, 7) + "^^^" + p.hospital->facility + "^MR";
  // Social Security numbers in area 999 are never issued, so these are never real ones.
  p.ssn = "999-" + digits(number / 10000 % 100, 2) + "-" + digits(number % 10000, 4);
  p.sex = r.percent(50) ? "F" : "M";
  p.family = r.pick(kFamily);
  p.given = p.sex == "F" ? r.pick(kGivenF) : r.pick(kGivenM);
  p.middle = std::string(1, static_cast<char>('A' + r.below(26)));
  const int64_t born = kEpoch - static_cast<int64_t>(r.below(90 * 365) + 30) * 86400;
  p.dob = dtm(born).substr(0, 8);
  const City& city = r.pick(kCities);
  p.address = std::to_string(1 + r.below(9899)) + " " + r.pick(kStreets) + "^^" + city.name + "^" +
              city.state + "^" + city.zip3 + digits(r.below(100), 2) + "^USA^H";
  p.phone = std::string("^PRN^PH^^1^") + city.area + "^555" + digits(r.below(10000), 4);
  static constexpr std::array<const char*, 3> kRace = {
      "2106-3^White^CDCREC", "2054-5^Black or African American^CDCREC", "2028-9^Asian^CDCREC"};
  p.race = r.percent(70) ? r.pick(kRace) : "";
  return p;
}

// A practitioner of the pool (60, shared by every message of a seed) as XCN.
std::string practitioner(uint64_t seed, uint32_t k) {
  Rng r(mix(seed, mix(kPractitioner, k)));
  const char* family = r.pick(kFamily);
  const char* given = r.percent(50) ? r.pick(kGivenF) : r.pick(kGivenM);
  return "1" + digits(100000000 + k * 7919ULL, 9) + "^" + family + "^" + given +
         "^^^DR^MD^^^^^^NPI";
}

class Builder {
 public:
  Builder(const CorpusOptions& o, uint64_t index)
      : seed_(o.seed), index_(index), r_(mix(o.seed, mix(kMessage, index))) {
    const uint64_t episode = index / 4;
    patient_number_ = mix(o.seed, mix(kEpisode, episode)) % std::max<uint32_t>(o.patients, 1);
    patient_ = patient_of(seed_, patient_number_);
    visit_ = "V" + digits(episode, 9) + "^^^" + patient_.hospital->facility + "^VN";
    now_ = kEpoch + static_cast<int64_t>(index) * 3;
  }
  Rng& rng() { return r_; }
  uint32_t roll() { return r_.below(100); }

  std::string msh(const char* app, const char* facility, const std::string& type,
                  const char* version = "2.5.1") const {
    return segment("MSH", {{1, "^~\\&"},
                           {2, app},
                           {3, facility},
                           {4, "GWINBOUND"},
                           {5, "REGIONAL-GW"},
                           {6, dtm(now_)},
                           {8, type},
                           {9, "S" + std::to_string(seed_) + "-" + std::to_string(index_)},
                           {10, "P"},
                           {11, version}});
  }
  std::string pid(bool full) const {
    const Patient& p = patient_;
    if (!full)
      return segment("PID", {{1, "1"},
                             {3, p.mrn},
                             {5, p.family + "^" + p.given + "^" + p.middle + "^^^^L"},
                             {7, p.dob},
                             {8, p.sex}});
    // An update changes the home phone now and then (A08 carries news).
    std::string phone = p.phone;
    if (r_copy_percent(25)) phone = phone.substr(0, phone.size() - 4) + digits(index_ % 10000, 4);
    return segment(
        "PID", {{1, "1"},
                {3, p.mrn + "~" + p.ssn + "^^^USSSA^SS"},
                {5, p.family + "^" + p.given + "^" + p.middle + "^^^^L"},
                {7, p.dob},
                {8, p.sex},
                {10, p.race},
                {11, p.address},
                {13, phone},
                {16, index_ % 3 == 0 ? "M^Married^HL70002" : "S^Single^HL70002"},
                {18, "A" + digits(index_ / 4, 9) + "^^^" + patient_.hospital->facility + "^AN"}});
  }
  std::string location() {
    return std::string(r_.pick(kUnits)) + "^" + std::to_string(100 + r_.below(40)) + "^" +
           (r_.percent(50) ? "A" : "B") + "^" + patient_.hospital->facility;
  }
  std::string doctor() { return practitioner(seed_, r_.below(60)); }
  std::string ts(int64_t offset_s = 0) const { return dtm(now_ + offset_s); }

  const Patient& patient() const { return patient_; }
  uint64_t index() const { return index_; }
  uint64_t seed() const { return seed_; }
  std::string id(const char* prefix, int n = 0) const {
    return std::string(prefix) + std::to_string(seed_) + "-" + std::to_string(index_) +
           (n ? "-" + std::to_string(n) : "");
  }
  const std::string& visit() const { return visit_; }

 private:
  // A draw from a copy of the index's state, so pid() stays const.
  bool r_copy_percent(uint32_t p) const { return mix(seed_, index_ ^ 0x51ed) % 100 < p; }

  uint64_t seed_, index_;
  Rng r_;
  uint64_t patient_number_ = 0;
  Patient patient_;
  std::string visit_;
  int64_t now_ = 0;
};

std::string adt(Builder& b, const std::string& event) {
  const Hospital& h = *b.patient().hospital;
  const char* structure = event == "A02"   ? "ADT_A02"
                          : event == "A03" ? "ADT_A03"
                          : event == "A11" ? "ADT_A09"
                                           : "ADT_A01";
  std::string m = b.msh(h.app, h.facility, "ADT^" + event + "^" + structure);
  m += segment("EVN", {{1, event}, {2, b.ts()}});
  m += b.pid(event != "A03" && event != "A11");
  const bool outpatient = event == "A04";
  const std::string attending = b.doctor();
  const std::string loc = outpatient ? std::string("CLINIC^^^") + h.facility : b.location();
  std::string prior = event == "A02" ? b.location() : "";
  static constexpr std::array<const char*, 4> kService = {"MED", "SUR", "CAR", "PUL"};
  m += segment("PV1", {{1, "1"},
                       {2, outpatient ? "O" : "I"},
                       {3, loc},
                       {4, outpatient ? "" : (b.roll() < 60 ? "E" : "R")},
                       {6, prior},
                       {7, attending},
                       {10, b.rng().pick(kService)},
                       {19, b.visit()},
                       {36, event == "A03" ? "01^Discharged to home^HL70112" : ""},
                       {39, h.facility},
                       {44, b.ts(-3600)},
                       {45, event == "A03" ? b.ts() : ""}});
  if (event == "A01" || event == "A04") {
    if (b.roll() < 50) {
      const Patient& p = b.patient();
      m += segment("NK1", {{1, "1"},
                           {2, p.family + "^" + b.rng().pick(kGivenF)},
                           {3, "SPO^Spouse^HL70063"},
                           {4, p.address},
                           {5, p.phone},
                           {7, "EC^Emergency Contact^HL70131"}});
    }
    if (b.roll() < 30) {
      const Allergen& a = b.rng().pick(kAllergens);
      m += segment("AL1", {{1, "1"}, {2, a.type}, {3, a.code}, {4, "MO"}});
    }
  }
  if (event == "A01" || event == "A03" || (event == "A04" && b.roll() < 30)) {
    if (b.roll() < 60)
      m += segment(
          "DG1",
          {{1, "1"}, {3, b.rng().pick(kDiagnoses)}, {5, b.ts()}, {6, event == "A03" ? "F" : "A"}});
  }
  return m;
}

// One ORC/OBR group with `n` results.
std::string lab_group(Builder& b, int group, int n, const std::string& ordering) {
  const std::string placer = b.id("PL", group) + "^EHR";
  const std::string filler = b.id("FL", group) + "^CITYLAB";
  std::string m = segment("ORC", {{1, "RE"}, {2, placer}, {3, filler}, {5, "CM"}});
  // Results start in their panel's part of the table (CBC, CMP, lipids,
  // renal); a long group runs on into the next tests.
  static constexpr std::array<uint32_t, 4> kPanelStart = {0, 10, 24, 11};
  const uint32_t panel = b.rng().below(kPanels.size());
  m += segment("OBR", {{1, std::to_string(group)},
                       {2, placer},
                       {3, filler},
                       {4, kPanels[panel]},
                       {7, b.ts(-7200)},
                       {16, ordering},
                       {22, b.ts(-60)},
                       {24, "LAB"},
                       {25, "F"}});
  // Distinct codes within the group (OBX identity is filler + OBX-3).
  const uint32_t start = kPanelStart[panel] + b.rng().below(3);
  const bool culture = b.roll() < 20, color = b.roll() < 20;
  for (int i = 1; i <= n; ++i) {
    const std::string set_id = std::to_string(i);
    if (i == 1 && color) {
      m += segment("OBX", {{1, set_id},
                           {2, "ST"},
                           {3, "5778-6^Color of Urine^LN"},
                           {5, b.rng().pick(kUrineColors)},
                           {11, "F"}});
    } else if (i == n && culture) {
      m += segment("OBX", {{1, set_id},
                           {2, "CWE"},
                           {3, "600-7^Bacteria identified in Blood by Culture^LN"},
                           {4, "1"},
                           {5, b.rng().pick(kOrganisms)},
                           {11, "F"}});
    } else {
      const Numeric& t = kNumeric[(start + i - 1) % kNumeric.size()];
      const int span = t.hi - t.lo;
      const int value =
          std::max(1, t.lo - span / 3 + static_cast<int>(b.rng().below(span * 5 / 3 + 1)));
      const char* flag = value > t.hi ? "H" : value < t.lo ? "L" : "N";
      m += segment("OBX", {{1, set_id},
                           {2, "NM"},
                           {3, std::string(t.code) + "^" + t.name + "^LN"},
                           {5, tenths(value)},
                           {6, std::string(t.unit) + "^" + t.unit + "^UCUM"},
                           {7, tenths(t.lo) + "-" + tenths(t.hi)},
                           {8, flag},
                           {11, "F"},
                           {14, b.ts(-7200)}});
    }
    if (b.roll() < 4)
      m += segment("NTE", {{1, "1"}, {2, "L"}, {3, "Result verified by repeat analysis."}});
  }
  return m;
}

std::string oru(Builder& b, int obx) {
  std::string m = b.msh("LABSYS", "CITYLAB", "ORU^R01^ORU_R01");
  m += b.pid(false);
  m += segment("PV1", {{1, "1"}, {2, "O"}, {3, "LAB^^^CITYLAB"}, {19, b.visit()}});
  int groups = obx < 8 ? 1 : 1 + static_cast<int>(b.rng().below(3));
  const std::string ordering = b.doctor();
  for (int g = 1; g <= groups; ++g) {
    const int n = g < groups ? obx / groups : obx - (obx / groups) * (groups - 1);
    m += lab_group(b, g, n, ordering);
  }
  return m;
}

std::string orm(Builder& b) {
  const Hospital& h = *b.patient().hospital;
  const std::string doc = b.doctor();
  const std::string placer = b.id("ORD") + "^CPOE";
  std::string m = b.msh("CPOE", h.facility, "ORM^O01", "2.3");
  m += b.pid(false);
  m += segment("PV1", {{1, "1"}, {2, "E"}, {3, std::string("ED^^^") + h.facility}, {7, doc}});
  m += segment("ORC", {{1, "NW"},
                       {2, placer},
                       {7, "^^^" + b.ts() + "^^R"},
                       {9, b.ts(-60)},
                       {10, "NURSE^NANCY^^^RN"},
                       {12, doc}});
  m += segment("OBR", {{1, "1"},
                       {2, placer},
                       {4, b.rng().pick(kImaging)},
                       {7, b.ts(-60)},
                       {16, doc},
                       {27, b.roll() < 30 ? "^^^^^STAT" : "^^^^^R"}});
  return m;
}

std::string vxu(Builder& b) {
  const Patient& p = b.patient();
  const Vaccine& v = b.rng().pick(kVaccines);
  std::string m = b.msh("IMMSYS", "PEDSCLINIC", "VXU^V04^VXU_V04");
  m += b.pid(false);
  m += segment("ORC", {{1, "RE"}, {3, b.id("IZ") + "^PEDSCLINIC"}});
  m += segment("RXA", {{1, "0"},
                       {2, "1"},
                       {3, b.ts().substr(0, 8)},
                       {5, v.cvx},
                       {6, "0.5"},
                       {7, "mL^mL^UCUM"},
                       {9, "00^New immunization record^NIP001"},
                       {11, "^^^PEDSCLINIC"},
                       {15, "LOT" + digits(b.rng().below(100000), 5)},
                       {16, "20271231"},
                       {17, v.mvx},
                       {20, "CP"},
                       {21, "A"}});
  m += segment("RXR", {{1, "C28161^Intramuscular^NCIT"}, {2, "LA^Left Arm^HL70163"}});
  m += segment("OBX", {{1, "1"},
                       {2, "CE"},
                       {3, "64994-7^Vaccine funding program eligibility category^LN"},
                       {4, "1"},
                       {5, "V01^Not VFC eligible^HL70064"},
                       {11, "F"},
                       {14, b.ts().substr(0, 8)}});
  (void)p;
  return m;
}

std::string siu(Builder& b) {
  const Hospital& h = *b.patient().hospital;
  const std::string doc = b.doctor();
  const std::string appt = b.id("APT") + "^SCHEDULER";
  const int64_t start = 86400 * (1 + b.rng().below(30));
  std::string m = b.msh("SCHEDULER", h.facility, "SIU^S12^SIU_S12", "2.5");
  m += segment("SCH", {{1, appt},
                       {2, appt},
                       {5, "ROUTINE^Routine^HL70276"},
                       {7, "^^Follow up"},
                       {8, "NORMAL^Normal^HL70277"},
                       {9, "30"},
                       {10, "MIN^minutes^ANSI"},
                       {11, "^^30^" + b.ts(start) + "^" + b.ts(start + 1800)},
                       {25, "Booked^Booked^HL70278"}});
  m += segment("TQ1", {{1, "1"}, {7, b.ts(start)}, {8, b.ts(start + 1800)}});
  m += b.pid(false);
  m += segment("PV1", {{1, "1"}, {2, "O"}, {3, std::string("CLINIC^^^") + h.facility}});
  m += segment("RGS", {{1, "1"}, {2, "A"}});
  m += segment("AIS", {{1, "1"},
                       {2, "A"},
                       {3, "99214^Office visit, established^CPT4"},
                       {4, b.ts(start)},
                       {5, "0"},
                       {6, "MIN"},
                       {7, "30"},
                       {8, "MIN"}});
  m += segment("AIP", {{1, "1"},
                       {2, "A"},
                       {3, doc.substr(0, doc.find("^^^^^^NPI"))},
                       {4, "MD^Physician"},
                       {5, b.ts(start)},
                       {8, "30"},
                       {9, "MIN"}});
  return m;
}

std::string mdm(Builder& b) {
  const Hospital& h = *b.patient().hospital;
  const std::string doc = b.doctor();
  std::string m = b.msh("TRANSCRIBE", h.facility, "MDM^T02^MDM_T02", "2.6");
  m += segment("EVN", {{1, "T02"}, {2, b.ts()}});
  m += b.pid(false);
  m += segment("PV1", {{1, "1"}, {2, "I"}, {3, b.location()}, {19, b.visit()}});
  m += segment("TXA", {{1, "1"},
                       {2, "DS^Discharge summary^HL70270"},
                       {3, "TX"},
                       {4, b.ts(-3600)},
                       {5, doc.substr(0, doc.find("^^^^^^NPI"))},
                       {7, b.ts(-60)},
                       {12, b.id("DOC")},
                       {17, "AU^Authenticated^HL70271"}});
  static constexpr std::array<const char*, 4> kLines = {
      "DISCHARGE SUMMARY", "Patient admitted for observation; course uneventful.",
      "Plan: follow up in clinic in 1 week.", "Medications: continue home regimen."};
  const int lines = 2 + static_cast<int>(b.rng().below(3));
  for (int i = 0; i < lines; ++i)
    m += segment("OBX", {{1, std::to_string(i + 1)},
                         {2, "TX"},
                         {3, "18842-5^Discharge summary^LN"},
                         {4, std::to_string(i + 1)},
                         {5, kLines[static_cast<size_t>(i)]},
                         {11, "F"}});
  return m;
}

// The type drawn for an index: the first draw of its stream.
const char* draw_type(Rng& r) {
  const uint32_t p = r.below(100);
  if (p < 18) return "ADT^A01";
  if (p < 30) return "ADT^A04";
  if (p < 48) return "ADT^A08";
  if (p < 56) return "ADT^A03";
  if (p < 58) return "ADT^A02";
  if (p < 60) return "ADT^A11";
  if (p < 90) return "ORU^R01";
  if (p < 93) return "ORM^O01";
  if (p < 95) return "VXU^V04";
  if (p < 98) return "SIU^S12";
  return "MDM^T02";
}

}  // namespace

CorpusGenerator::CorpusGenerator(CorpusOptions options) : options_(options) {}

std::string CorpusGenerator::type(uint64_t index) const {
  Rng r(mix(options_.seed, mix(kMessage, index)));
  return draw_type(r);
}

std::string CorpusGenerator::message(uint64_t index) const {
  Builder b(options_, index);
  const std::string t = draw_type(b.rng());
  if (t.rfind("ADT^", 0) == 0) return adt(b, t.substr(4));
  if (t == "ORU^R01") return oru(b, 5 + static_cast<int>(b.rng().below(26)));
  if (t == "ORM^O01") return orm(b);
  if (t == "VXU^V04") return vxu(b);
  if (t == "SIU^S12") return siu(b);
  return mdm(b);
}

std::string CorpusGenerator::adt_a01(uint64_t index) const {
  Builder b(options_, index);
  draw_type(b.rng());
  return adt(b, "A01");
}

std::string CorpusGenerator::oru_r01(uint64_t index, int obx_count) const {
  Builder b(options_, index);
  draw_type(b.rng());
  return oru(b, std::max(1, obx_count));
}

}  // namespace gw::testing
