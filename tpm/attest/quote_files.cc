// Quote files in tpm2-tools 5.4's formats, and the small file helpers of
// tpm/attest.
#include <endian.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "tpm/attest/attest_internal.h"
#include "tpm/attest/quote.h"
#include "tpm/core/tpm_internal.h"

namespace gw::tpm {

// tpm2-tools fwrite()s these structs; the file layout is theirs only as
// long as ours is the same, which these pin (x86-64 and aarch64 Linux).
static_assert(sizeof(TPML_PCR_SELECTION) == 132, "tpm2-tools pcrs file layout");
static_assert(sizeof(TPML_DIGEST) == 532, "tpm2-tools pcrs file layout");
static_assert(__BYTE_ORDER == __LITTLE_ENDIAN, "structs are copied as little-endian bytes");

namespace attest {

std::string to_hex(std::span<const uint8_t> bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

Status make_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return unavailable_error("cannot create directory " + dir + ": " + ec.message());
  }
  return ok_status();
}

Status write_file(const std::string& path, std::span<const uint8_t> bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return unavailable_error("cannot write " + path + ": " + strerror(errno));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status failed = unavailable_error("cannot write " + path + ": " + strerror(errno));
      ::close(fd);
      return failed;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    return unavailable_error("cannot write " + path + ": " + strerror(errno));
  }
  return ok_status();
}

Status remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return unavailable_error("cannot remove " + path + ": " + strerror(errno));
  }
  return ok_status();
}

Status read_file(const std::string& path, size_t max_size, std::vector<uint8_t>* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno == ENOENT ? not_found_error("cannot read " + path + ": " + strerror(errno))
                           : unavailable_error("cannot read " + path + ": " + strerror(errno));
  }
  out->clear();
  uint8_t buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status failed = unavailable_error("cannot read " + path + ": " + strerror(errno));
      ::close(fd);
      return failed;
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > max_size) {
      ::close(fd);
      return invalid_argument_error(path + " is larger than " + std::to_string(max_size) +
                                    " bytes: not a quote file");
    }
    out->insert(out->end(), buf, buf + n);
  }
  ::close(fd);
  return ok_status();
}

}  // namespace attest

std::vector<uint8_t> pcrs_file_bytes(const PcrSelection& selection,
                                     const std::vector<std::vector<uint8_t>>& values) {
  TPML_PCR_SELECTION sel;
  std::memset(&sel, 0, sizeof sel);  // padding bytes too: tpm2-tools' are zero
  if (!internal::to_tpml(selection, &sel).ok()) return {};
  sel.count = htole32(sel.count);
  sel.pcrSelections[0].hash = htole16(sel.pcrSelections[0].hash);
  std::vector<uint8_t> out(reinterpret_cast<const uint8_t*>(&sel),
                           reinterpret_cast<const uint8_t*>(&sel) + sizeof sel);
  // tpm2_quote keeps each TPM2_PCR_Read response as one TPML_DIGEST, and TPMs
  // return at most 8 digests per read.
  const uint32_t lists = static_cast<uint32_t>((values.size() + 7) / 8);
  const uint32_t lists_le = htole32(lists);
  out.insert(out.end(), reinterpret_cast<const uint8_t*>(&lists_le),
             reinterpret_cast<const uint8_t*>(&lists_le) + sizeof lists_le);
  for (uint32_t l = 0; l < lists; ++l) {
    TPML_DIGEST list;
    std::memset(&list, 0, sizeof list);
    uint32_t n = 0;
    for (size_t i = l * 8; i < values.size() && n < 8; ++i, ++n) {
      const size_t len = std::min(values[i].size(), sizeof list.digests[n].buffer);
      list.digests[n].size = htole16(static_cast<uint16_t>(len));
      std::memcpy(list.digests[n].buffer, values[i].data(), len);
    }
    list.count = htole32(n);
    out.insert(out.end(), reinterpret_cast<const uint8_t*>(&list),
               reinterpret_cast<const uint8_t*>(&list) + sizeof list);
  }
  return out;
}

Status parse_pcrs_file(std::span<const uint8_t> bytes, PcrSelection* selection,
                       std::vector<std::vector<uint8_t>>* values) {
  constexpr size_t kHeader = sizeof(TPML_PCR_SELECTION) + sizeof(uint32_t);
  if (bytes.size() < kHeader || (bytes.size() - kHeader) % sizeof(TPML_DIGEST) != 0) {
    return invalid_argument_error("not a tpm2-tools PCR file (" + std::to_string(bytes.size()) +
                                  " bytes)");
  }
  TPML_PCR_SELECTION sel;
  std::memcpy(&sel, bytes.data(), sizeof sel);
  uint32_t lists_le;
  std::memcpy(&lists_le, bytes.data() + sizeof sel, sizeof lists_le);
  const uint32_t lists = le32toh(lists_le);
  if (le32toh(sel.count) != 1) {
    return invalid_argument_error("the PCR file selects " + std::to_string(le32toh(sel.count)) +
                                  " banks; one bank is supported");
  }
  if (lists != (bytes.size() - kHeader) / sizeof(TPML_DIGEST)) {
    return invalid_argument_error("the PCR file's digest list count does not match its size");
  }
  const TPMS_PCR_SELECTION& s = sel.pcrSelections[0];
  const TPMI_ALG_HASH alg = le16toh(s.hash);
  const char* bank = alg == TPM2_ALG_SHA1     ? "sha1"
                     : alg == TPM2_ALG_SHA256 ? "sha256"
                     : alg == TPM2_ALG_SHA384 ? "sha384"
                     : alg == TPM2_ALG_SHA512 ? "sha512"
                                              : nullptr;
  if (bank == nullptr || s.sizeofSelect > TPM2_PCR_SELECT_MAX) {
    return invalid_argument_error(
        "the PCR file names an unsupported bank or a malformed selection");
  }
  selection->bank = bank;
  selection->pcrs.clear();
  for (int pcr = 0; pcr < s.sizeofSelect * 8; ++pcr) {
    if (!(s.pcrSelect[pcr / 8] & (1u << (pcr % 8)))) continue;
    if (pcr > 23) {
      return invalid_argument_error("the PCR file selects PCR " + std::to_string(pcr) +
                                    " (0..23 exist)");
    }
    selection->pcrs.push_back(pcr);
  }
  const size_t value_size = attest::digest_size(alg);
  values->clear();
  for (uint32_t l = 0; l < lists; ++l) {
    TPML_DIGEST list;
    std::memcpy(&list, bytes.data() + kHeader + l * sizeof list, sizeof list);
    const uint32_t n = le32toh(list.count);
    if (n > 8) {
      return invalid_argument_error("the PCR file has a digest list of " + std::to_string(n) +
                                    " entries (at most 8)");
    }
    for (uint32_t i = 0; i < n; ++i) {
      if (le16toh(list.digests[i].size) != value_size) {
        return invalid_argument_error("the PCR file holds a digest of the wrong size for the " +
                                      std::string(bank) + " bank");
      }
      values->emplace_back(list.digests[i].buffer, list.digests[i].buffer + value_size);
    }
  }
  if (values->size() != selection->pcrs.size()) {
    return invalid_argument_error("the PCR file holds " + std::to_string(values->size()) +
                                  " values for " + std::to_string(selection->pcrs.size()) +
                                  " selected PCRs");
  }
  return ok_status();
}

namespace {

// What both write_quote_files write; ak_public_area may be empty (no ak.pub).
Status write_files(const Quote& q, std::span<const uint8_t> ak_public_area,
                   const std::string& ak_public_pem, std::span<const uint8_t> ak_name,
                   std::span<const uint8_t> qualifying_data,
                   std::span<const uint8_t> ek_certificate, const std::string& dir) {
  GW_RETURN_IF_ERROR(attest::make_dir(dir));
  auto bytes = [](const std::string& s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  const std::string name_hex = attest::to_hex(ak_name);
  const std::string qualifying_hex = attest::to_hex(qualifying_data);
  const std::string d = dir + "/";
  GW_RETURN_IF_ERROR(attest::write_file(d + "quote.msg", q.message));
  GW_RETURN_IF_ERROR(attest::write_file(d + "quote.sig", q.signature));
  GW_RETURN_IF_ERROR(attest::write_file(d + "quote.pcrs", q.pcrs_file));
  GW_RETURN_IF_ERROR(ak_public_area.empty() ? attest::remove_file(d + "ak.pub")
                                            : attest::write_file(d + "ak.pub", ak_public_area));
  GW_RETURN_IF_ERROR(attest::write_file(d + "ak.pub.pem", bytes(ak_public_pem)));
  GW_RETURN_IF_ERROR(attest::write_file(d + "ak.name", ak_name));
  GW_RETURN_IF_ERROR(attest::write_file(d + "ak.name.hex", bytes(name_hex)));
  GW_RETURN_IF_ERROR(attest::write_file(d + "qualifying-data.hex", bytes(qualifying_hex)));
  return ek_certificate.empty() ? attest::remove_file(d + "ek.cert.der")
                                : attest::write_file(d + "ek.cert.der", ek_certificate);
}

}  // namespace

Status write_quote_files(const Quote& q, const KeyBlob& ak,
                         std::span<const uint8_t> qualifying_data,
                         std::span<const uint8_t> ek_certificate, const std::string& dir) {
  TPM2B_PUBLIC pub;
  GW_RETURN_IF_ERROR(internal::unmarshal_public(ak, &pub));
  auto pem = attest::public_key_pem(pub.publicArea);
  if (!pem.ok()) return pem.error();
  const std::vector<uint8_t> name = internal::compute_name(pub.publicArea);
  if (name.empty()) {
    return invalid_argument_error("the AK's name algorithm is not supported");
  }
  return write_files(q, ak.public_area, *pem, name, qualifying_data, ek_certificate, dir);
}

Status write_quote_files(const Quote& q, const std::string& ak_public_pem,
                         std::span<const uint8_t> ak_name, std::span<const uint8_t> qualifying_data,
                         std::span<const uint8_t> ek_certificate, const std::string& dir) {
  return write_files(q, {}, ak_public_pem, ak_name, qualifying_data, ek_certificate, dir);
}

Result<Quote> read_quote_files(const std::string& dir) {
  Quote q;
  const std::string d = dir + "/";
  GW_RETURN_IF_ERROR(attest::read_file(d + "quote.msg", sizeof(TPMS_ATTEST), &q.message));
  GW_RETURN_IF_ERROR(attest::read_file(d + "quote.sig", sizeof(TPMT_SIGNATURE), &q.signature));
  GW_RETURN_IF_ERROR(attest::read_file(d + "quote.pcrs", 64 * 1024, &q.pcrs_file));
  if (Status s = parse_pcrs_file(q.pcrs_file, &q.selection, &q.pcr_values); !s.ok()) {
    return s.with_context(d + "quote.pcrs");
  }
  return q;
}

}  // namespace gw::tpm
