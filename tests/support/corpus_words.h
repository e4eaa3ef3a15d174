// Word lists and code tables of the corpus generator (corpus_generator.cc):
// fiction and public code systems only (LOINC, SNOMED CT, ICD-10, CVX, CPT
// codes as examples), never a real person's data. Internal to the generator.
#pragma once

#include <array>
#include <cstdint>

namespace gw::testing::corpus {

constexpr std::array<const char*, 48> kFamily = {
    "ABERNATHY", "BALDWIN",   "CARVER",     "DELACRUZ",  "EASTWOOD",   "FAIRBANKS", "GALLOWAY",
    "HARTLEY",   "IVERSON",   "JANSSEN",    "KOWALSKI",  "LINDQVIST",  "MORENO",    "NAKAMURA",
    "OKAFOR",    "PEMBERTON", "QUINLAN",    "RASMUSSEN", "SANTIAGO",   "THORNTON",  "UNDERHILL",
    "VASQUEZ",   "WHITAKER",  "YAMAMOTO",   "ZIMMERMAN", "ASHFORD",    "BRENNAN",   "CASTELLANO",
    "DUBOIS",    "ELLINGTON", "FERREIRA",   "GRANGER",   "HOLLOWAY",   "INGRAM",    "JOHANSEN",
    "KESSLER",   "LANCASTER", "MCALLISTER", "NOVAK",     "OSBORNE",    "PRICHARD",  "ROWLAND",
    "SINCLAIR",  "TREMBLAY",  "VANDERBILT", "WESTBROOK", "YOUNGBLOOD", "ZELLER"};
constexpr std::array<const char*, 24> kGivenF = {
    "ADA",  "BEATRICE", "CLARA", "DELIA",  "ELEANOR", "FIONA", "GRETA",  "HAZEL",
    "IRIS", "JUNE",     "KAREN", "LUCIA",  "MAEVE",   "NORA",  "OLIVE",  "PAULA",
    "RUTH", "SYLVIA",   "TESSA", "URSULA", "VERA",    "WILLA", "YVONNE", "ZOE"};
constexpr std::array<const char*, 24> kGivenM = {
    "ALBERT",  "BRUNO",  "CALVIN",  "DESMOND", "EMMETT", "FELIX",  "GORDON", "HAROLD",
    "IGOR",    "JASPER", "KENNETH", "LIONEL",  "MARCUS", "NOLAN",  "OSCAR",  "PERCY",
    "QUENTIN", "RUFUS",  "SILAS",   "THEO",    "ULRICH", "VICTOR", "WALTER", "XAVIER"};
constexpr std::array<const char*, 24> kStreets = {
    "MAIN ST",    "ELM RD",     "OAK AVE",     "MAPLE DR",     "CEDAR LN",      "PINE ST",
    "BIRCH CT",   "WALNUT WAY", "CHESTNUT ST", "HIGHLAND AVE", "LAKE SHORE DR", "RIVER RD",
    "MILL ST",    "CHURCH ST",  "SCHOOL ST",   "PARK PL",      "SUMMIT AVE",    "VALLEY VIEW RD",
    "ORCHARD LN", "MEADOW DR",  "SPRING ST",   "WILLOW CT",    "HARBOR BLVD",   "FOREST AVE"};
struct City {
  const char *name, *state, *zip3, *area;
};
constexpr std::array<City, 12> kCities = {{{"ANYTOWN", "MA", "012", "617"},
                                           {"SPRINGFIELD", "IL", "627", "217"},
                                           {"RIVERTON", "WY", "825", "307"},
                                           {"FAIRVIEW", "OR", "970", "503"},
                                           {"GREENVILLE", "SC", "296", "864"},
                                           {"MADISON", "WI", "537", "608"},
                                           {"CLINTON", "IA", "527", "563"},
                                           {"SALEM", "NH", "030", "603"},
                                           {"FRANKLIN", "TN", "370", "615"},
                                           {"GEORGETOWN", "TX", "786", "512"},
                                           {"ASHLAND", "KY", "411", "606"},
                                           {"BRISTOL", "CT", "060", "860"}}};

// Hospitals that send ADT; a patient belongs to one (its MRN's authority).
struct Hospital {
  const char *app, *facility;
};
constexpr std::array<Hospital, 3> kHospitals = {
    {{"EPICADT", "GOODHEALTH"}, {"PATREG", "NORTHCLINIC"}, {"ADTSYS", "WESTHOSP"}}};
constexpr std::array<const char*, 8> kUnits = {"4EAST", "4WEST", "5NORTH", "ICU",
                                               "CCU",   "3WEST", "MATERN", "PEDS"};

struct Numeric {
  const char *code, *name, *unit;
  int lo, hi;  // reference range in tenths
};
constexpr std::array<Numeric, 30> kNumeric = {{
    {"6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 40, 110},
    {"789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", 42, 54},
    {"718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 120, 160},
    {"4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 360, 460},
    {"787-2", "MCV [Entitic volume] by Automated count", "fL", 800, 1000},
    {"785-6", "MCH [Entitic mass] by Automated count", "pg", 270, 330},
    {"786-4", "MCHC [Mass/volume] by Automated count", "g/dL", 320, 360},
    {"788-0", "Erythrocyte distribution width [Ratio] by Automated count", "%", 115, 145},
    {"777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 1500, 4000},
    {"32623-1", "Platelet mean volume [Entitic volume] in Blood by Automated count", "fL", 75, 115},
    {"2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 700, 990},
    {"3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 70, 200},
    {"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 5, 11},
    {"2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 1360, 1450},
    {"2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 35, 51},
    {"2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", 980, 1070},
    {"2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "mmol/L", 220, 290},
    {"17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", 86, 103},
    {"2885-2", "Protein [Mass/volume] in Serum or Plasma", "g/dL", 60, 83},
    {"1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", 35, 50},
    {"1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", 1, 12},
    {"6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 440,
     1470},
    {"1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 70,
     560},
    {"1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L",
     100, 400},
    {"2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", 1250, 2000},
    {"2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL", 300, 1500},
    {"2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", 400, 600},
    {"13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", "mg/dL", 500,
     1000},
    {"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", 40, 56},
    {"3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "m[IU]/L", 4, 40},
}};
constexpr std::array<const char*, 4> kPanels = {
    "58410-2^CBC panel - Blood by Automated count^LN",
    "24323-8^Comprehensive metabolic panel - Serum or Plasma^LN",
    "57698-3^Lipid panel with direct LDL - Serum or Plasma^LN",
    "24362-6^Renal function panel - Serum or Plasma^LN"};
constexpr std::array<const char*, 3> kOrganisms = {"3092008^Staphylococcus aureus^SCT",
                                                   "112283007^Escherichia coli^SCT",
                                                   "264868006^No growth^SCT"};
constexpr std::array<const char*, 3> kUrineColors = {"Straw", "Yellow", "Amber"};
constexpr std::array<const char*, 8> kDiagnoses = {
    "I10^Essential (primary) hypertension^I10",
    "E11.9^Type 2 diabetes mellitus without complications^I10",
    "J18.9^Pneumonia, unspecified organism^I10",
    "I21.4^Non-ST elevation (NSTEMI) myocardial infarction^I10",
    "N39.0^Urinary tract infection, site not specified^I10",
    "K35.80^Unspecified acute appendicitis^I10",
    "S72.001A^Fracture of unspecified part of neck of right femur^I10",
    "F32.9^Major depressive disorder, single episode, unspecified^I10"};
struct Allergen {
  const char *type, *code;
};
constexpr std::array<Allergen, 4> kAllergens = {{{"DA", "70618^Penicillin^RXNORM"},
                                                 {"DA", "2670^Codeine^RXNORM"},
                                                 {"FA", "256349002^Peanut^SCT"},
                                                 {"FA", "102263004^Eggs^SCT"}}};
constexpr std::array<const char*, 4> kImaging = {
    "71046^XR CHEST 2 VIEWS^CPT4", "70450^CT HEAD WO CONTRAST^CPT4",
    "74177^CT ABD AND PELVIS W CONTRAST^CPT4", "93000^ECG ROUTINE W INTERPRETATION^CPT4"};
struct Vaccine {
  const char *cvx, *mvx;
};
constexpr std::array<Vaccine, 5> kVaccines = {
    {{"08^Hep B, adolescent or pediatric^CVX", "MSD^Merck and Co^MVX"},
     {"20^DTaP^CVX", "PMC^sanofi pasteur^MVX"},
     {"03^MMR^CVX", "MSD^Merck and Co^MVX"},
     {"141^Influenza, seasonal, injectable^CVX", "SKB^GlaxoSmithKline^MVX"},
     {"21^varicella^CVX", "MSD^Merck and Co^MVX"}}};

}  // namespace gw::testing::corpus
