#include "gateway/store/fingerprint.h"

namespace gw::store {

std::string normalize_segment_terminators(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  bool pending_terminator = false;  // a run of CR/LF seen after some content
  for (char c : raw) {
    if (c == '\r' || c == '\n') {
      pending_terminator = !out.empty();
      continue;
    }
    if (pending_terminator) out += '\r';
    pending_terminator = false;
    out += c;
  }
  return out;
}

crypto::Sha256Digest message_fingerprint(const crypto::StoreKeys& keys, std::string_view raw) {
  return keys.content_digest(normalize_segment_terminators(raw));
}

}  // namespace gw::store
