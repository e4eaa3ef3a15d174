#include "gateway/keys/payload_key_files.h"

#include <sodium.h>

#include <filesystem>
#include <set>
#include <system_error>

#include "gateway/keys/key_files.h"

namespace gw::keys {
namespace {

// A generation number in canonical decimal (1..kMaxPayloadGenerations, no
// sign, no leading zero), or 0.
uint32_t parse_generation(std::string_view text) {
  if (text.empty() || text.size() > 10 || text[0] == '0') return 0;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n <= kMaxPayloadGenerations ? static_cast<uint32_t>(n) : 0;
}

}  // namespace

std::string PayloadKeyFiles::name(uint32_t generation) const {
  return prefix_ + std::to_string(generation) + suffix_;
}

std::string PayloadKeyFiles::mark_path() const {
  // "payload-key-" -> "payload-key.generation": not a generation file name.
  std::string stem = prefix_;
  if (!stem.empty() && stem.back() == '-') stem.pop_back();
  return dir_ + "/" + stem + ".generation";
}

Result<uint32_t> PayloadKeyFiles::newest_generation() const {
  std::set<uint32_t> found;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir_, ec), end;
  if (ec) return unavailable_error("cannot list " + dir_ + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (!file.starts_with(prefix_) || !file.ends_with(suffix_) ||
        file.size() <= prefix_.size() + suffix_.size())
      continue;
    const uint32_t g = parse_generation(std::string_view(file).substr(
        prefix_.size(), file.size() - prefix_.size() - suffix_.size()));
    if (g == 0) {
      return data_loss_error(dir_ + "/" + file + " is not a payload key file of this gateway " +
                             "(expected " + prefix_ + "N" + suffix_ + ", N from 1 to " +
                             std::to_string(kMaxPayloadGenerations) + ")");
    }
    found.insert(g);
  }
  if (ec) return unavailable_error("cannot list " + dir_ + ": " + ec.message());

  uint32_t mark = 0;
  auto mark_text = read_small_file(mark_path(), 64);
  if (mark_text.ok()) {
    std::string text(mark_text->begin(), mark_text->end());
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    mark = parse_generation(text);
    if (mark == 0) return data_loss_error(mark_path() + ": not a payload key generation number");
  } else if (mark_text.error().code() != StatusCode::kNotFound) {
    return mark_text.error();
  }

  const uint32_t newest = found.empty() ? 0 : *found.rbegin();
  for (uint32_t g = 1; g <= std::max(newest, mark); ++g) {
    if (!found.contains(g)) {
      return failed_precondition_error(
          path(g) + " is missing: payload key generation " + std::to_string(g) + " of " +
          std::to_string(std::max(newest, mark)) +
          " cannot be loaded, and transfers sealed to it could not be opened (restore the file "
          "from a backup of " +
          dir_ + ")");
    }
  }
  return newest;
}

Status PayloadKeyFiles::create(uint32_t generation, std::span<const uint8_t> bytes) const {
  if (generation == 0 || generation > kMaxPayloadGenerations) {
    return resource_exhausted_error("payload key generation " + std::to_string(generation) +
                                    " is beyond the " + std::to_string(kMaxPayloadGenerations) +
                                    " a key store keeps");
  }
  GW_RETURN_IF_ERROR(create_file_atomically(path(generation), bytes));
  const std::string mark = std::to_string(generation) + "\n";
  return write_file_atomically(
      mark_path(), std::span(reinterpret_cast<const uint8_t*>(mark.data()), mark.size()));
}

void generate_payload_private_key(std::span<uint8_t, kPayloadKeyBytes> private_key) {
  uint8_t public_key[crypto_box_PUBLICKEYBYTES];
  crypto_box_keypair(public_key, private_key.data());
}

}  // namespace gw::keys
