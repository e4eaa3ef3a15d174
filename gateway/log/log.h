// Structured logging: one logfmt line per event on stdout (journald and log
// shippers parse it), e.g.
//   ts=2026-11-22T02:45:11.123Z level=info event=mllp.listening channel=adt address=0.0.0.0:2575
//
// PHI rule: callers pass only identifiers that are not patient data (channel
// names, peer addresses, message types, control ids, error codes and
// locations). Nothing from a message body is ever logged. Values are quoted
// and escaped so a hostile value cannot forge extra fields or lines.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace gw::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void set_level(Level level);
bool parse_level(std::string_view name, Level* out);
bool enabled(Level level);

using Field = std::pair<std::string_view, std::string>;

// Writes one line atomically (lines from different threads never interleave).
void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

inline void debug(std::string_view e, std::initializer_list<Field> f = {}) {
  if (enabled(Level::kDebug)) write(Level::kDebug, e, f);
}
inline void info(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, e, f);
}
inline void warn(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, e, f);
}
inline void error(std::string_view e, std::initializer_list<Field> f = {}) {
  write(Level::kError, e, f);
}

}  // namespace gw::log
