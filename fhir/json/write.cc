#include "fhir/json/write.h"

#include <cstddef>
#include <string>
#include <vector>

#include "fhir/json/canonical.h"

namespace gw::fhir {
namespace {

struct Frame {
  const JsonValue* container;
  size_t next;  // index of the next item or member to write
};

void newline(std::string& out, bool pretty, size_t depth) {
  if (!pretty) return;
  out += '\n';
  out.append(depth * 2, ' ');
}

// Writes a scalar, or the opening bracket of a container (pushing a frame).
void open_value(const JsonValue& v, std::string& out, std::vector<Frame>& stack) {
  switch (v.type()) {
    case JsonType::kNull:
      out += "null";
      break;
    case JsonType::kBool:
      out += v.as_bool() ? "true" : "false";
      break;
    case JsonType::kNumber:
      out += v.text();
      break;
    case JsonType::kString:
      write_json_string(v.text(), out);
      break;
    case JsonType::kArray:
      out += '[';
      stack.push_back({&v, 0});
      break;
    case JsonType::kObject:
      out += '{';
      stack.push_back({&v, 0});
      break;
  }
}

}  // namespace

std::string write_json(const JsonValue& root, bool pretty) {
  std::string out;
  std::vector<Frame> stack;
  open_value(root, out, stack);
  while (!stack.empty()) {
    Frame& f = stack.back();
    const JsonValue& c = *f.container;
    const bool is_object = c.is_object();
    const size_t count = is_object ? c.members().size() : c.items().size();
    if (f.next == count) {
      if (count > 0) newline(out, pretty, stack.size() - 1);
      out += is_object ? '}' : ']';
      stack.pop_back();
      continue;
    }
    if (f.next > 0) out += ',';
    newline(out, pretty, stack.size());
    const size_t i = f.next++;
    if (is_object) {
      write_json_string(c.members()[i].key, out);
      out += pretty ? ": " : ":";
      open_value(c.members()[i].value, out, stack);  // may invalidate f
    } else {
      open_value(c.items()[i], out, stack);
    }
  }
  return out;
}

}  // namespace gw::fhir
