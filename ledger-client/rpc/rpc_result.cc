#include "ledger-client/rpc/rpc_result.h"

#include <cstdio>

namespace gw::ledger {
namespace {

constexpr size_t kMaxMessageBytes = 300;

}  // namespace

const char* rpc_failure_kind_name(RpcFailure::Kind kind) {
  switch (kind) {
    case RpcFailure::Kind::kUnreachable:
      return "unreachable";
    case RpcFailure::Kind::kTimeout:
      return "timeout";
    case RpcFailure::Kind::kHttpStatus:
      return "http status";
    case RpcFailure::Kind::kBadResponse:
      return "bad response";
    case RpcFailure::Kind::kTooLarge:
      return "response too large";
    case RpcFailure::Kind::kRpcError:
      return "rpc error";
  }
  return "unknown";
}

bool RpcFailure::transient() const {
  switch (kind) {
    case Kind::kUnreachable:
    case Kind::kTimeout:
      return true;
    case Kind::kHttpStatus:
      return http_status == 429 || http_status == 502 || http_status == 503 || http_status == 504;
    default:
      return false;
  }
}

std::string RpcFailure::describe() const {
  std::string out = method.empty() ? std::string("json-rpc") : method;
  out += ": ";
  out += rpc_failure_kind_name(kind);
  if (kind == Kind::kRpcError) {
    out += ' ';
    out += std::to_string(code);
  } else if (kind == Kind::kHttpStatus || (kind == Kind::kBadResponse && http_status != 0)) {
    out += " (HTTP ";
    out += std::to_string(http_status);
    out += ')';
  }
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  if (!data.empty()) {
    out += " (";
    out += std::to_string(data.size());
    out += " bytes of data)";
  }
  return out;
}

Status RpcFailure::to_status() const {
  switch (kind) {
    case Kind::kTimeout:
      return deadline_exceeded_error(describe());
    case Kind::kTooLarge:
      return resource_exhausted_error(describe());
    case Kind::kHttpStatus:
      if (transient()) return unavailable_error(describe());
      return failed_precondition_error(describe());
    case Kind::kRpcError:
    case Kind::kBadResponse:
      return failed_precondition_error(describe());
    case Kind::kUnreachable:
      break;
  }
  return unavailable_error(describe());
}

void RpcFailure::set_message(std::string_view text) {
  message.clear();
  for (unsigned char c : text) {
    if (message.size() > kMaxMessageBytes) break;
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      message += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      message += buf;
    }
  }
  if (message.size() > kMaxMessageBytes) {
    message.resize(kMaxMessageBytes - 3);
    message += "...";
  }
}

RpcFailure RpcFailure::make(Kind kind, std::string_view text) {
  RpcFailure f;
  f.kind = kind;
  f.set_message(text);
  return f;
}

}  // namespace gw::ledger
