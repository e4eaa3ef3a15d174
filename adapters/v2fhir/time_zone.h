// Time zones for completing HL7 v2 timestamps sent without a UTC offset.
//
// FHIR dateTime and instant values that carry a time need an offset; v2
// senders often omit it and mean "local time of the sending site". The
// channel's MappingConfig::time_zone names that zone: "UTC", a fixed offset
// ("+01:00", "-05:30") or an IANA zone ("Europe/Berlin") read from the TZif
// file under /usr/share/zoneinfo with the small reader here (transitions plus
// the POSIX TZ footer rule for times after the last transition). Zones are
// loaded once and cached for the life of the process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"

namespace gw::v2fhir {

class TimeZone {
 public:
  // Offset east of UTC, in minutes, in effect at a UTC instant (seconds since
  // 1970-01-01T00:00:00Z).
  int offset_at_utc(int64_t utc_seconds) const;

  // Offset for a local wall-clock time. Deterministic choices where the local
  // time is not unique: in the repeated hour after a DST end, the first
  // occurrence (the offset in effect before the transition); in the skipped
  // hour at a DST start, the offset in effect before the transition.
  int offset_for_local(int year, int month, int day, int hour, int minute, int second) const;

  // One POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0"); public for the loader.
  struct Rule {
    bool valid = false;
    int std_offset = 0;  // seconds east of UTC
    int dst_offset = 0;
    bool has_dst = false;
    // Mm.w.d rule parts, time of day in local seconds (may exceed 24h).
    int start_month = 0, start_week = 0, start_weekday = 0, start_time = 7200;
    int end_month = 0, end_week = 0, end_weekday = 0, end_time = 7200;
  };

  // Built by find_time_zone(); public so the loader can fill it.
  std::vector<int64_t> transitions;  // UTC seconds, ascending
  std::vector<int> offsets_after;    // seconds east of UTC from transitions[i] on
  int initial_offset = 0;            // before the first transition
  Rule footer;                       // after the last transition (if valid)
};

// Looks a zone up (cached). Errors carry a fixed description (the name is
// configuration, never message content): kInvalidArgument for a malformed
// name, kNotFound for a zone without a valid TZif file.
gw::Result<std::shared_ptr<const TimeZone>> find_time_zone(std::string_view name);

// Days since 1970-01-01 of a proleptic Gregorian date (exposed for tests).
int64_t days_from_civil(int year, int month, int day);

}  // namespace gw::v2fhir
