// Shared by this folder's *_test.cc: reading the contract artifacts with
// RapidJSON (the tests' independent view of the ABI) and small builders.
#pragma once

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ledger-client/abi/abi_codec.h"
#include "ledger-client/consortium/contracts.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rpc/rapidjson.h"

namespace gw::ledger::consortium::testing {

#ifndef GW_CONTRACTS_DIR
#error "GW_CONTRACTS_DIR must name ledger-client/contracts (set by embed_artifacts.cmake)"
#endif

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string contracts_dir() { return GW_CONTRACTS_DIR; }

// The parsed artifacts/<Name>.json (Null document if unreadable: the caller's
// ASSERTs on its members then fail).
inline const rapidjson::Document& artifact_json(ContractKind kind) {
  static std::vector<rapidjson::Document>* docs = [] {
    auto* v = new std::vector<rapidjson::Document>();
    for (ContractKind k : kAllContracts) {
      v->emplace_back();
      std::string text =
          read_text(contracts_dir() + "/artifacts/" + std::string(contract_name(k)) + ".json");
      v->back().Parse<rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
    }
    return v;
  }();
  return (*docs)[static_cast<size_t>(kind)];
}

// The canonical ABI type of a JSON ABI parameter: tuples spelled out from
// "components", array suffixes kept ("tuple[]" -> "(uint256,address)[]").
inline std::string canonical_type(const rapidjson::Value& param) {
  std::string type = param["type"].GetString();
  if (type.rfind("tuple", 0) != 0) return type;
  std::string out = "(";
  const auto& comps = param["components"].GetArray();
  for (rapidjson::SizeType i = 0; i < comps.Size(); ++i) {
    if (i) out += ",";
    out += canonical_type(comps[i]);
  }
  return out + ")" + type.substr(5);
}

// "(t1,t2)" of a JSON ABI parameter list; with `mark_indexed`, " indexed"
// after each indexed one.
inline std::string canonical_params(const rapidjson::Value& params, bool mark_indexed = false) {
  std::string out = "(";
  for (rapidjson::SizeType i = 0; i < params.Size(); ++i) {
    if (i) out += ",";
    out += canonical_type(params[i]);
    if (mark_indexed && params[i].HasMember("indexed") && params[i]["indexed"].GetBool())
      out += " indexed";
  }
  return out + ")";
}

inline std::vector<uint8_t> artifact_bytes(ContractKind kind, const char* field) {
  const auto& doc = artifact_json(kind);
  if (!doc.IsObject() || !doc.HasMember(field)) return {};
  return from_hex(doc[field].GetString()).value_or(std::vector<uint8_t>{});
}

inline Hash256 fill(uint8_t b) {
  Hash256 h;
  h.fill(b);
  return h;
}

inline Address addr_of(uint8_t b) {
  Address a;
  a.fill(b);
  return a;
}

}  // namespace gw::ledger::consortium::testing
