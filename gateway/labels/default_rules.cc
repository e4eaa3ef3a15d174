// The shipped default label rules ([labels] defaults = true). A starting point
// that a privacy officer reviews, not a complete value set: configured rules
// add to it, and `[labels] defaults = false` replaces it entirely.
//
// Sources:
//  - ICD-10: WHO ICD-10 (2019) chapter and block titles; ICD-10-CM (CMS/NCHS
//    FY2024 tabular list) where its codes differ. Blocks are ranges on code
//    prefixes (label_rules.h).
//  - SNOMED CT: concept ids of the International Edition (browser.ihtsdotools.org).
//  - LOINC: loinc.org codes (search.loinc.org), with their long common names.
//  The label meanings are those of v3 ActCode InformationSensitivityPolicy;
//  42 CFR Part 2 is why substance use (ETH) is separate from psychiatry (PSY).
#include "gateway/labels/label_rules.h"

namespace gw::labels {

using ledger::consortium::Label;

const std::vector<RuleSpec>& default_rule_specs() {
  static const std::vector<RuleSpec> kDefaults = {
      // ETH: substance use disorders (42 CFR Part 2 records).
      {Label::kEth, "icd10:F10-F19"},    // Mental and behavioural disorders due to psychoactive
                                         // substance use (ICD-10 block F10-F19)
      {Label::kEth, "snomed:66214007"},  // Substance abuse (disorder)
      {Label::kEth, "snomed:7200002"},   // Alcoholism (disorder)

      // PSY: psychiatric disorders. F20-F99 does not overlap F10-F19 above; the
      // organic disorders F00-F09 (dementia, delirium) are deliberately not
      // labeled: they are neurology as much as psychiatry and rarely protected.
      {Label::kPsy, "icd10:F20-F99"},    // ICD-10 chapter V from F20 (schizophrenia) to F99
      {Label::kPsy, "snomed:58214004"},  // Schizophrenia (disorder)
      {Label::kPsy, "snomed:13746004"},  // Bipolar disorder (disorder)
      {Label::kPsy, "snomed:35489007"},  // Depressive disorder (disorder)
      {Label::kPsy, "snomed:69322001"},  // Psychotic disorder (disorder)

      // HIV.
      {Label::kHiv, "icd10:B20-B24"},  // HIV disease (WHO block B20-B24; ICD-10-CM B20)
      {Label::kHiv, "icd10:Z21"},      // Asymptomatic HIV infection status
      {Label::kHiv, "icd10:R75"},      // (Inconclusive) laboratory evidence of HIV
      {Label::kHiv, "icd10:O98.7"},    // HIV disease complicating pregnancy, childbirth, puerperium
      {Label::kHiv, "snomed:86406008"},   // Human immunodeficiency virus infection (disorder)
      {Label::kHiv, "snomed:165816005"},  // Human immunodeficiency virus positive (finding)
      {Label::kHiv, "snomed:62479008"},   // Acquired immune deficiency syndrome (disorder)
      {Label::kHiv, "loinc:75622-1"},     // HIV 1 and 2 tests - Meaningful Use set
      {Label::kHiv, "loinc:56888-1"},     // HIV 1+2 Ab+HIV1 p24 Ag [Presence] in Serum or Plasma
      {Label::kHiv, "loinc:7917-8"},      // HIV 1 Ab [Presence] in Serum
      {Label::kHiv, "loinc:7918-6"},      // HIV 1+2 Ab [Presence] in Serum
      {Label::kHiv, "loinc:68961-2"},     // HIV 1 Ab [Presence] in Serum, Plasma or Blood
      {Label::kHiv, "loinc:20447-9"},     // HIV 1 RNA [#/volume] (viral load) in Serum or Plasma

      // STD: infections with a predominantly sexual mode of transmission.
      {Label::kStd, "icd10:A50-A64"},    // ICD-10 block A50-A64 (syphilis to unspecified STD)
      {Label::kStd, "snomed:76272004"},  // Syphilis (disorder)
      {Label::kStd, "snomed:15628003"},  // Gonorrhea (disorder)
      {Label::kStd, "loinc:20507-0"},    // Reagin Ab [Presence] in Serum by RPR
      {Label::kStd, "loinc:21613-5"},    // Chlamydia trachomatis DNA [Presence] by NAA
      {Label::kStd, "loinc:24111-7"},    // Neisseria gonorrhoeae DNA [Presence] by NAA

      // SDV: maltreatment and sexual assault.
      {Label::kSdv, "icd10:T74"},  // Maltreatment syndromes (confirmed)
      {Label::kSdv, "icd10:T76"},  // Maltreatment syndromes, suspected (ICD-10-CM)
      {Label::kSdv, "icd10:Y05"},  // Sexual assault by bodily force (WHO ICD-10)
      {Label::kSdv, "icd10:Y07"},  // Perpetrator of maltreatment (ICD-10-CM) / of neglect (WHO)

      // SEX: reproductive health.
      {Label::kSex, "icd10:O00-O08"},  // Pregnancy with abortive outcome (ICD-10 block O00-O08)
      {Label::kSex, "icd10:Z30"},      // Encounter for contraceptive management

      // GDIS: genetic disease and genetic testing.
      {Label::kGdis, "icd10:Q90-Q99"},  // Chromosomal abnormalities, NEC (ICD-10 block Q90-Q99)
      {Label::kGdis, "loinc:51969-4"},  // Genetic analysis report
      {Label::kGdis, "loinc:81247-9"},  // Master HL7 genetic variant reporting panel
      {Label::kGdis, "loinc:69548-6"},  // Genetic variant assessment
      {Label::kGdis, "loinc:48018-6"},  // Gene studied [ID]

      // SICKLE: sickle-cell disorders.
      {Label::kSickle, "icd10:D57"},         // Sickle-cell disorders (ICD-10 D57)
      {Label::kSickle, "snomed:417357006"},  // Sickling disorder due to hemoglobin S (disorder)
  };
  return kDefaults;
}

}  // namespace gw::labels
