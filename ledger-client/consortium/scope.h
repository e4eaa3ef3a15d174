// The bitmasks a grant's scope is written in: resource categories (what a
// grant covers) and security labels (what it excludes), as defined in
// contracts/README.md "Encodings". The contract only compares bits; this file
// is where the gateway decides which bit a FHIR resource or label is.
//
// Mapping a resource fails closed: a resource type (or Observation /
// DiagnosticReport category) not listed here has no category, and the caller
// must treat it as outside every grant rather than guess a broader one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gw::ledger::consortium {

enum class Category : uint8_t {
  kDemographics = 0,  // Patient, RelatedPerson, Person
  kEncounters = 1,    // Encounter, EpisodeOfCare, Appointment
  kConditions = 2,    // Condition
  kLaboratory =
      3,  // Observation "laboratory", DiagnosticReport LAB (v2-0074 lab sections), Specimen
  kVitalSigns = 4,     // Observation "vital-signs"
  kMedications = 5,    // Medication, MedicationRequest/Statement/Administration/Dispense
  kAllergies = 6,      // AllergyIntolerance
  kProcedures = 7,     // Procedure, Observation "procedure"
  kImmunizations = 8,  // Immunization, ImmunizationRecommendation
  kImaging = 9,     // ImagingStudy, Media, Observation "imaging", DiagnosticReport RAD/CT/MR/US/...
  kDocuments = 10,  // DocumentReference, Composition, DocumentManifest
  kCarePlans = 11,  // CarePlan, CareTeam, Goal
  kOrders = 12,     // ServiceRequest
  kFinancial = 13,  // Coverage, Claim, ClaimResponse, ExplanationOfBenefit, Account, Invoice
  kSocialHistory = 14,  // Observation "social-history"
  kDevices = 15,        // Device, DeviceUseStatement
  kFamilyHistory = 16,  // FamilyMemberHistory
};
inline constexpr uint64_t category_bit(Category c) {
  return uint64_t{1} << static_cast<uint8_t>(c);
}

// The category of a FHIR R4 resource. `category_code` matters only for
// Observation (a code of http://terminology.hl7.org/CodeSystem/observation-category)
// and DiagnosticReport (a v2-0074 diagnostic service section: LAB, HM, CH, MB, RAD,
// CT, ...); for a resource with several categories, call once per code and
// OR the bits. nullopt: not mapped (fail closed).
std::optional<Category> category_of(std::string_view resource_type,
                                    std::string_view category_code = {});

// Security labels: v3 ActCode sensitivity codes and v3 Confidentiality R / V.
enum class Label : uint8_t {
  kEth = 0,              // substance use
  kHiv = 1,              // HIV/AIDS
  kPsy = 2,              // psychiatry
  kMh = 3,               // mental health
  kSdv = 4,              // sexual or domestic violence
  kSex = 5,              // sexuality and reproductive health
  kStd = 6,              // sexually transmitted disease
  kGdis = 7,             // genetic disease
  kSickle = 8,           // sickle cell
  kPsythpn = 9,          // psychotherapy note
  kRestricted = 16,      // Confidentiality R
  kVeryRestricted = 17,  // Confidentiality V
};
inline constexpr uint64_t label_bit(Label l) { return uint64_t{1} << static_cast<uint8_t>(l); }

// "ETH" -> kEth, "R" -> kRestricted (exact, upper case); nullopt for codes
// with no bit (the caller decides whether an unknown label blocks a send).
std::optional<Label> label_from_code(std::string_view code);
std::string_view label_code(Label label);

}  // namespace gw::ledger::consortium
