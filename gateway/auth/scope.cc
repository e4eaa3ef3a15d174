#include "gateway/auth/scope.h"

#include <utility>

#include "fhir/validate/validator.h"

namespace gw::auth {
namespace {

constexpr std::string_view kLetters = "cruds";

// RFC 6749 §3.3 scope-token characters: printable ASCII but space, '"', '\'.
bool is_scope_char(char ch) { return ch >= 0x21 && ch <= 0x7e && ch != '"' && ch != '\\'; }

// Characters of the scope grammar up to any '?': type names, '*', '.', '/'.
bool is_plain_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '/' || ch == '*' || ch == '.' || ch == '_' || ch == '-';
}

// How an error names the scope (scope.h: configured in full, requested
// sanitized).
std::string name_scope(std::string_view text, ScopeSource source, size_t position) {
  if (source == ScopeSource::kConfigured) {
    std::string shown;
    for (char ch : text.substr(0, kMaxScopeBytes)) shown += is_scope_char(ch) ? ch : '?';
    if (text.size() > kMaxScopeBytes) shown += "...";
    return "scope \"" + shown + "\"";
  }
  std::string out = "requested scope " + std::to_string(position + 1);
  const std::string_view head = text.substr(0, text.find('?'));
  bool plain = !head.empty() && head.size() <= kMaxScopeBytes;
  for (char ch : head) plain = plain && is_plain_char(ch);
  if (plain) {
    out += " (\"" + std::string(head) + (head.size() < text.size() ? "?...\")" : "\")");
  } else {
    out += " (" + std::to_string(text.size()) + " bytes)";
  }
  return out;
}

// v2 letters in c r u d s order, each at most once, at least one.
bool parse_letters(std::string_view letters, Permissions* out) {
  if (letters.empty()) return false;
  Permissions p = 0;
  size_t next = 0;  // index in kLetters the next letter may take at the earliest
  for (char ch : letters) {
    const size_t at = kLetters.find(ch, next);
    if (at == std::string_view::npos) return false;
    p |= static_cast<Permissions>(1u << at);
    next = at + 1;
  }
  *out = p;
  return true;
}

}  // namespace

std::string permission_letters(Permissions p) {
  std::string out;
  for (size_t i = 0; i < kLetters.size(); ++i) {
    if (p & (1u << i)) out += kLetters[i];
  }
  return out;
}

std::string Scope::to_string() const {
  return "system/" + resource_type + "." + permission_letters(permissions);
}

Result<Scope> parse_scope(std::string_view text, ScopeSource source, size_t position) {
  auto fail = [&](std::string why) {
    return invalid_argument_error(name_scope(text, source, position) + ": " + std::move(why));
  };
  if (text.empty()) return fail("empty");
  if (text.size() > kMaxScopeBytes) {
    return fail("longer than " + std::to_string(kMaxScopeBytes) + " bytes");
  }
  for (char ch : text) {
    if (!is_scope_char(ch)) return fail("holds a character a scope may not (RFC 6749 3.3)");
  }
  const size_t slash = text.find('/');
  const std::string_view context = slash == std::string_view::npos ? "" : text.substr(0, slash);
  if (context == "patient" || context == "user") {
    return fail(std::string(context) +
                "/ scopes are relative to a launch context (a patient or user in context) that "
                "a backend-services gateway does not have: use system/ scopes");
  }
  if (context != "system") {
    return fail("not a resource scope: this gateway grants system/<Type|*>.<cruds> scopes only");
  }
  std::string_view rest = text.substr(slash + 1);
  const size_t query = rest.find('?');
  const bool restricted = query != std::string_view::npos;
  if (restricted) rest = rest.substr(0, query);

  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return fail("no '.' between the type and the permissions");
  const std::string_view type = rest.substr(0, dot);
  const std::string_view perms = rest.substr(dot + 1);
  if (type.empty()) return fail("no resource type");
  if (type != "*") {
    if (type.find('*') != std::string_view::npos) {
      return fail("a wildcard must stand for the whole type (system/*.rs)");
    }
    if (!fhir::is_resource_type(type)) return fail("not a FHIR R4 resource type");
    // policy.h: the audit trail is the auditor role's; a scope that seems to
    // grant it would mislead the operator who wrote it.
    if (type == "AuditEvent")
      return fail("AuditEvent is granted by the auditor role, not by scopes");
  }

  Permissions p = 0;
  const bool v1 = perms == "read" || perms == "write" || perms == "*";
  if (perms == "read") {
    p = kRead | kSearch;
  } else if (perms == "write") {
    p = kCreate | kUpdate | kDelete;
  } else if (perms == "*") {
    p = kAllPermissions;
  } else if (!parse_letters(perms, &p)) {
    return fail(
        "permissions must be v2 letters c r u d s, at least one, each once, in that order (or "
        "v1 read, write, *)");
  }
  if (restricted) {
    if (v1) return fail("v1 scopes take no search-parameter restriction");
    return unimplemented_error(name_scope(text, source, position) +
                               ": search-parameter restrictions are not supported (the gateway "
                               "cannot apply them to every read and search); grant the whole "
                               "type or leave it out");
  }
  return Scope{std::string(type), p};
}

void ScopeSet::add(const Scope& scope) {
  if (scope.permissions == 0) return;
  if (scope.resource_type == "*") {
    every_type_ |= scope.permissions;
  } else {
    by_type_[scope.resource_type] |= scope.permissions;
  }
}

Permissions ScopeSet::on(std::string_view type) const {
  auto it = by_type_.find(type);
  return every_type_ | (it == by_type_.end() ? 0 : it->second);
}

bool ScopeSet::empty() const {
  if (every_type_ != 0) return false;
  for (const auto& [type, p] : by_type_) {
    if (p != 0) return false;
  }
  return true;
}

std::vector<Scope> ScopeSet::scopes() const {
  std::vector<Scope> out;
  if (every_type_ != 0) out.push_back(Scope{"*", every_type_});
  for (const auto& [type, p] : by_type_) {
    const Permissions extra = p & ~every_type_;
    if (extra != 0) out.push_back(Scope{type, static_cast<Permissions>(extra)});
  }
  return out;
}

std::string ScopeSet::to_string() const {
  std::string out;
  for (const Scope& s : scopes()) {
    if (!out.empty()) out += ' ';
    out += s.to_string();
  }
  return out;
}

Result<ScopeSet> parse_configured_scopes(const std::vector<std::string>& scopes) {
  if (scopes.size() > kMaxScopes) {
    return invalid_argument_error("more than " + std::to_string(kMaxScopes) + " scopes");
  }
  ScopeSet set;
  for (const std::string& text : scopes) {
    GW_ASSIGN_OR_RETURN(Scope scope, parse_scope(text, ScopeSource::kConfigured));
    set.add(scope);
  }
  return set;
}

Result<ScopeSet> parse_requested_scopes(std::string_view scope_parameter) {
  // Bounded before splitting: kMaxScopes scopes of kMaxScopeBytes and their spaces.
  if (scope_parameter.size() > kMaxScopes * (kMaxScopeBytes + 1)) {
    return invalid_argument_error("the scope parameter is too long (" +
                                  std::to_string(scope_parameter.size()) + " bytes)");
  }
  ScopeSet set;
  size_t position = 0;
  size_t start = 0;
  while (true) {
    if (position == kMaxScopes) {
      return invalid_argument_error("more than " + std::to_string(kMaxScopes) +
                                    " requested scopes");
    }
    const size_t space = scope_parameter.find(' ', start);
    const std::string_view text = scope_parameter.substr(
        start, space == std::string_view::npos ? std::string_view::npos : space - start);
    if (text.empty()) {
      return invalid_argument_error("requested scope " + std::to_string(position + 1) +
                                    ": empty (scopes are separated by single spaces)");
    }
    GW_ASSIGN_OR_RETURN(Scope scope, parse_scope(text, ScopeSource::kRequested, position));
    set.add(scope);
    ++position;
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return set;
}

ScopeSet intersect(const ScopeSet& a, const ScopeSet& b) {
  ScopeSet out;
  out.add(Scope{"*", static_cast<Permissions>(a.on_every_type() & b.on_every_type())});
  // A type named in either set is granted what both give it, wildcards included.
  for (const ScopeSet* named : {&a, &b}) {
    for (const Scope& s : named->scopes()) {
      if (s.resource_type == "*") continue;
      const auto& t = s.resource_type;
      out.add(Scope{t, static_cast<Permissions>(a.on(t) & b.on(t))});
    }
  }
  return out;
}

Result<ScopeSet> grant_requested_scopes(std::string_view scope_parameter,
                                        const ScopeSet& configured) {
  if (scope_parameter.empty()) return configured;
  GW_ASSIGN_OR_RETURN(ScopeSet requested, parse_requested_scopes(scope_parameter));
  ScopeSet granted = intersect(requested, configured);
  if (granted.empty()) {
    return permission_denied_error("none of the requested scopes is granted to this client");
  }
  return granted;
}

}  // namespace gw::auth
