// The report's rows in plain words, for a reader who never saw an audit log:
// the actor ("client lab-interface"), the action ("read a record
// (Observation)"), the purpose of use (HL7 v3 PurposeOfUse codes: "treatment",
// falling back to the code), the outcome ("refused (403)"), the time (UTC,
// ISO 8601), and the translation of UTF-8 into the PDF fonts' WinAnsi
// encoding. Pure functions, so each is tested on its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/audit/audit_entry.h"

namespace gw::auditreport {

// "2026-12-07T15:25:03Z" (seconds, UTC). Any int64 gives some text.
std::string utc_time(int64_t ms);

// "client NAME", "operator (gatewayctl)", "member 0x...", "anonymous".
std::string actor_words(const audit::Actor& actor);

// "read a record (Observation)", "sent a transfer", "emergency access", ...
// The resource type is added in parentheses where one is given.
std::string action_words(audit::Action action, std::string_view resource_type);

// "treatment" for TREAT, "emergency treatment" for ETREAT, ...; an unknown
// code is shown as itself; an empty one as "not stated".
std::string purpose_words(std::string_view code);

// "allowed", "refused", "failed", with " (403)" when there is an HTTP status.
std::string outcome_words(const audit::Outcome& outcome);

// Emergency access: the action, or the purpose ETREAT (break-the-glass).
bool is_emergency(const audit::AuditEntry& entry);

// UTF-8 -> WinAnsi (Windows-1252) bytes for libharu's built-in fonts: ASCII
// and Latin-1 map to themselves, the CP1252 extras (euro sign, curly quotes,
// dashes, ...) to their bytes; every other character, each invalid UTF-8
// byte and every control character becomes '?'. Never fails.
std::string to_winansi(std::string_view utf8);

}  // namespace gw::auditreport
