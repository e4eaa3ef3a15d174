#include "gateway/anchoring/ledger_deployment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <set>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/keys/key_files.h"
#include "ledger-client/account/account.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::anchoring {
namespace {

using ledger::consortium::MemberInfo;

struct ContractField {
  const char* name;
  ledger::Address ledger::ContractAddresses::*member;
};
constexpr ContractField kContracts[] = {
    {"ProviderRegistry", &ledger::ContractAddresses::registry},
    {"ConsentRegistry", &ledger::ContractAddresses::consents},
    {"TransferLog", &ledger::ContractAddresses::transfers},
    {"AuditAnchor", &ledger::ContractAddresses::anchors},
    {"RecordToken", &ledger::ContractAddresses::tokens},
};

// Both files are a few hundred bytes to a few kilobytes; these limits bound
// what a hostile or corrupted file can make the parser do.
fhir::JsonParseOptions parse_options(size_t max_bytes) {
  fhir::JsonParseOptions o;
  o.max_input_bytes = max_bytes;
  o.max_depth = 4;
  o.max_object_members = 16;
  o.max_array_items = kMaxFounders + 1;
  o.max_string_bytes = 1024;
  o.max_values = 16 * (kMaxFounders + 1);
  return o;
}

Result<fhir::JsonValue> parse(std::string_view json, size_t max_bytes, const char* what) {
  auto doc = fhir::parse_json(json, parse_options(max_bytes));
  if (!doc)
    return invalid_argument_error(std::string(what) +
                                  ": not acceptable JSON: " + doc.error().to_string());
  return *doc;
}

// Refuses members other than `known`.
Status only_members(const fhir::JsonValue& obj, std::initializer_list<std::string_view> known,
                    const std::string& where) {
  for (const auto& m : obj.members()) {
    bool ok = false;
    for (auto k : known) ok = ok || m.key == k;
    if (!ok) {
      const std::string key = fhir::is_reportable_json_key(m.key) ? m.key : "*";
      return invalid_argument_error(where + "unknown field \"" + key + "\"");
    }
  }
  return gw::ok_status();
}

Result<uint64_t> read_u64(const fhir::JsonValue* v, const std::string& field) {
  if (v == nullptr) return invalid_argument_error(field + ": missing");
  const std::string& t = v->text();
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (!v->is_number() || t.empty() || (t.size() > 1 && t[0] == '0') || ec != std::errc() ||
      p != t.data() + t.size())
    return invalid_argument_error(field + ": expected a non-negative integer");
  return n;
}

Result<std::string> read_string(const fhir::JsonValue* v, const std::string& field) {
  if (v == nullptr) return invalid_argument_error(field + ": missing");
  if (!v->is_string()) return invalid_argument_error(field + ": expected a string");
  return v->text();
}

Result<ledger::Address> read_address(const fhir::JsonValue* v, const std::string& field) {
  auto s = read_string(v, field);
  if (!s) return s.error();
  auto a = parse_address(*s);
  if (!a) return a.error().with_context(field);
  if (*a == ledger::Address{})
    return invalid_argument_error(field + ": the zero address is not a contract");
  return *a;
}

Result<ledger::Hash256> read_key32(const fhir::JsonValue* v, const std::string& field) {
  auto s = read_string(v, field);
  if (!s) return s.error();
  auto bytes = ledger::from_hex(*s);
  if (!bytes || bytes->size() != 32)
    return invalid_argument_error(field + ": expected 32 bytes in hex (64 digits)");
  ledger::Hash256 h{};
  std::memcpy(h.data(), bytes->data(), 32);
  return h;
}

Status fsync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return unavailable_error(path + ": cannot open: " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return unavailable_error(path + ": fsync failed: " + std::strerror(errno));
  return gw::ok_status();
}

}  // namespace

bool same_deployment(const LedgerDeployment& a, const LedgerDeployment& b) {
  for (const auto& c : kContracts)
    if (a.contracts.*c.member != b.contracts.*c.member) return false;
  return a.chain_id == b.chain_id && a.deployed_by == b.deployed_by && a.block == b.block;
}

Status make_private_dirs(const std::string& dir) {
  std::filesystem::path partial;
  for (const auto& part : std::filesystem::path(dir)) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
      return unavailable_error("cannot create " + partial.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return invalid_argument_error(dir + " is not a folder");
  return gw::ok_status();
}

Result<ledger::Address> parse_address(std::string_view text) {
  const char* usage = "expected an address, \"0x\" and 40 hex digits";
  if (text.size() != 42 || !(text.starts_with("0x") || text.starts_with("0X")))
    return invalid_argument_error(usage);
  auto bytes = ledger::from_hex(text);
  if (!bytes || bytes->size() != 20) return invalid_argument_error(usage);
  ledger::Address a{};
  std::memcpy(a.data(), bytes->data(), 20);
  // Mixed case is an EIP-55 checksum: a mistyped digit must not name another
  // account.
  const std::string_view digits = text.substr(2);
  bool lower = false, upper = false;
  for (char c : digits) {
    lower = lower || (c >= 'a' && c <= 'f');
    upper = upper || (c >= 'A' && c <= 'F');
  }
  if (lower && upper && ledger::to_checksum_hex(a).substr(2) != digits)
    return invalid_argument_error(
        "the address's EIP-55 checksum (its mixed case) is wrong: a digit is mistyped");
  return a;
}

Result<LedgerDeployment> parse_deployment(std::string_view json) {
  auto doc = parse(json, kMaxDeploymentFileBytes, "deployment file");
  if (!doc) return doc.error();
  if (!doc->is_object()) return invalid_argument_error("deployment file: expected a JSON object");
  if (auto s = only_members(*doc, {"chain_id", "contracts", "deployed_by", "block"},
                            "deployment file: ");
      !s.ok())
    return s;
  LedgerDeployment d;
  auto chain = read_u64(doc->find("chain_id"), "deployment file: chain_id");
  if (!chain) return chain.error();
  if (*chain == 0) return invalid_argument_error("deployment file: chain_id: must not be 0");
  d.chain_id = *chain;
  const fhir::JsonValue* contracts = doc->find("contracts");
  if (contracts == nullptr || !contracts->is_object())
    return invalid_argument_error(
        "deployment file: contracts: expected an object naming the five contracts");
  if (auto s = only_members(
          *contracts,
          {"ProviderRegistry", "ConsentRegistry", "TransferLog", "AuditAnchor", "RecordToken"},
          "deployment file: contracts: ");
      !s.ok())
    return s;
  std::set<ledger::Address> distinct;
  for (const auto& c : kContracts) {
    auto a =
        read_address(contracts->find(c.name), std::string("deployment file: contracts.") + c.name);
    if (!a) return a.error();
    if (!distinct.insert(*a).second)
      return invalid_argument_error(std::string("deployment file: contracts.") + c.name +
                                    ": the same address as another contract");
    d.contracts.*c.member = *a;
  }
  auto by = read_address(doc->find("deployed_by"), "deployment file: deployed_by");
  if (!by) return by.error();
  d.deployed_by = *by;
  auto block = read_u64(doc->find("block"), "deployment file: block");
  if (!block) return block.error();
  d.block = *block;
  return d;
}

std::string format_deployment(const LedgerDeployment& d) {
  fhir::JsonValue doc = fhir::JsonValue::make_object();
  doc.add("chain_id", fhir::JsonValue::make_number(std::to_string(d.chain_id)));
  fhir::JsonValue contracts = fhir::JsonValue::make_object();
  for (const auto& c : kContracts)
    contracts.add(c.name,
                  fhir::JsonValue::make_string(ledger::to_checksum_hex(d.contracts.*c.member)));
  doc.add("contracts", std::move(contracts));
  doc.add("deployed_by", fhir::JsonValue::make_string(ledger::to_checksum_hex(d.deployed_by)));
  doc.add("block", fhir::JsonValue::make_number(std::to_string(d.block)));
  return fhir::write_json(doc, /*pretty=*/true) + "\n";
}

fhir::JsonValue member_json(const MemberInfo& m) {
  fhir::JsonValue o = fhir::JsonValue::make_object();
  o.add("account", fhir::JsonValue::make_string(ledger::to_checksum_hex(m.account)));
  o.add("org_id", fhir::JsonValue::make_string(m.org_id));
  o.add("name", fhir::JsonValue::make_string(m.name));
  o.add("encryption_key", fhir::JsonValue::make_string(ledger::to_hex(m.encryption_key)));
  o.add("tls_fingerprint", fhir::JsonValue::make_string(ledger::to_hex(m.tls_fingerprint)));
  o.add("signing_key_hash", fhir::JsonValue::make_string(ledger::to_hex(m.signing_key_hash)));
  o.add("accreditation", fhir::JsonValue::make_string(m.accreditation));
  return o;
}

std::string format_members(std::span<const MemberInfo> members) {
  fhir::JsonValue list = fhir::JsonValue::make_array();
  for (const MemberInfo& m : members) list.push(member_json(m));
  return fhir::write_json(list, /*pretty=*/true) + "\n";
}

Result<LedgerDeployment> read_deployment(const std::string& path) {
  auto bytes = keys::read_small_file(path, kMaxDeploymentFileBytes);
  if (!bytes.ok()) return bytes.error().with_context("deployment file " + path);
  auto d = parse_deployment(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!d) return d.error().with_context(path);
  return d;
}

Status write_deployment(const std::string& path, const LedgerDeployment& d) {
  const std::filesystem::path target(path);
  const std::string dir =
      target.has_parent_path() ? target.parent_path().string() : std::string(".");
  if (auto s = make_private_dirs(dir); !s.ok()) return s;
  const std::string text = format_deployment(d);
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return unavailable_error(tmp + ": cannot create: " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0644) == 0;  // whatever the umask: other members read it
  size_t done = 0;
  while (ok && done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(ok ? errno : saved);
    ::unlink(tmp.c_str());
    return unavailable_error(path + ": cannot write: " + why);
  }
  return fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

Result<std::vector<MemberInfo>> parse_founders(std::string_view json) {
  auto doc = parse(json, kMaxFoundersFileBytes, "founders file");
  if (!doc) return doc.error();
  if (!doc->is_array() || doc->items().empty())
    return invalid_argument_error("founders file: expected a non-empty JSON array of founders");
  if (doc->items().size() > kMaxFounders)
    return invalid_argument_error("founders file: at most " + std::to_string(kMaxFounders) +
                                  " founders");
  std::vector<MemberInfo> out;
  std::set<ledger::Address> accounts;
  std::set<std::string> org_ids;
  for (size_t i = 0; i < doc->items().size(); ++i) {
    const fhir::JsonValue& f = doc->items()[i];
    const std::string where = "founders file: [" + std::to_string(i) + "]";
    if (!f.is_object()) return invalid_argument_error(where + ": expected an object");
    if (auto s = only_members(f,
                              {"account", "org_id", "name", "encryption_key", "tls_fingerprint",
                               "signing_key_hash", "accreditation"},
                              where + ": ");
        !s.ok())
      return s;
    MemberInfo m;
    auto account = read_address(f.find("account"), where + ".account");
    auto org_id = read_string(f.find("org_id"), where + ".org_id");
    auto name = read_string(f.find("name"), where + ".name");
    auto enc = read_key32(f.find("encryption_key"), where + ".encryption_key");
    auto tls = read_key32(f.find("tls_fingerprint"), where + ".tls_fingerprint");
    auto sig = read_key32(f.find("signing_key_hash"), where + ".signing_key_hash");
    for (const Status* e :
         {account ? nullptr : &account.error(), org_id ? nullptr : &org_id.error(),
          name ? nullptr : &name.error(), enc ? nullptr : &enc.error(),
          tls ? nullptr : &tls.error(), sig ? nullptr : &sig.error()})
      if (e != nullptr) return *e;
    m.account = *account;
    m.org_id = *org_id;
    m.name = *name;
    m.encryption_key = *enc;
    m.tls_fingerprint = *tls;
    m.signing_key_hash = *sig;
    if (const fhir::JsonValue* a = f.find("accreditation"); a != nullptr) {
      auto acc = read_string(a, where + ".accreditation");
      if (!acc) return acc.error();
      m.accreditation = *acc;
    }
    if (auto s = ledger::consortium::validate_member(m); !s.ok()) return s.with_context(where);
    if (!accounts.insert(m.account).second)
      return invalid_argument_error(where + ".account: listed twice");
    if (!org_ids.insert(m.org_id).second)
      return invalid_argument_error(where + ".org_id: listed twice");
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<MemberInfo>> read_founders(const std::string& path) {
  auto bytes = keys::read_small_file(path, kMaxFoundersFileBytes);
  if (!bytes.ok()) return bytes.error().with_context("founders file " + path);
  auto f =
      parse_founders(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!f) return f.error().with_context(path);
  return f;
}

}  // namespace gw::anchoring
