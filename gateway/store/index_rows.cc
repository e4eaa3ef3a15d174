#include "gateway/store/index_rows.h"

#include <cstdint>

namespace gw::store::internal {
namespace {

constexpr char kIdentifierKey = 'k', kPatient = 'p', kToken = 't', kSelfKey = 's';
constexpr size_t kEntryHeaderBytes = 3;  // kind, uint16 length

bool append(char kind, const std::vector<std::string>& values, std::string* out) {
  for (const std::string& v : values) {
    if (v.size() > kMaxIndexRowBytes) return false;
    out->push_back(kind);
    out->push_back(static_cast<char>((v.size() >> 8) & 0xff));
    out->push_back(static_cast<char>(v.size() & 0xff));
    out->append(v);
  }
  return true;
}

}  // namespace

bool encode_index_rows(const IndexRows& rows, std::string* out) {
  std::string encoded;
  if (!append(kIdentifierKey, rows.identifier_keys, &encoded) ||
      !append(kPatient, rows.patients, &encoded) || !append(kToken, rows.tokens, &encoded) ||
      !append(kSelfKey, rows.self_keys, &encoded)) {
    return false;
  }
  *out = std::move(encoded);
  return true;
}

bool decode_index_rows(std::string_view bytes, IndexRows* out) {
  IndexRows rows;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < kEntryHeaderBytes) return false;
    const char kind = bytes[pos];
    const size_t length = (static_cast<size_t>(static_cast<uint8_t>(bytes[pos + 1])) << 8) |
                          static_cast<uint8_t>(bytes[pos + 2]);
    pos += kEntryHeaderBytes;
    if (length > bytes.size() - pos) return false;  // the length itself may be damaged
    std::string value(bytes.substr(pos, length));
    pos += length;
    switch (kind) {
      case kIdentifierKey:
        rows.identifier_keys.push_back(std::move(value));
        break;
      case kPatient:
        rows.patients.push_back(std::move(value));
        break;
      case kToken:
        rows.tokens.push_back(std::move(value));
        break;
      case kSelfKey:
        rows.self_keys.push_back(std::move(value));
        break;
      default:
        return false;
    }
  }
  *out = std::move(rows);
  return true;
}

}  // namespace gw::store::internal
