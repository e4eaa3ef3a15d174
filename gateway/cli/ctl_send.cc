// gatewayctl send: an MLLP test client for integration engineers.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/hl7/ack.h"
#include "adapters/hl7/batch.h"
#include "adapters/hl7/er7.h"
#include "adapters/mllp/client.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/config/config.h"

namespace gw::cli {

namespace {

namespace fs = std::filesystem;

struct SendOptions {
  std::string host;
  uint16_t port = 0;
  std::chrono::milliseconds timeout{30000};
  // How long to wait for an acknowledgement the sender asked for only on
  // error or only on success (MSH-15 ER/SU) before taking silence as the answer.
  std::chrono::milliseconds conditional_wait{1000};
  int retries = 3;
  bool summary_only = false;
  bool show_acks = false;  // print each acknowledgement's segments
  bool tls = false;
  mllp::ClientTlsOptions tls_options;
  std::vector<std::string> inputs;
};

struct Item {
  std::string label;  // file, and #n when the file holds several messages
  std::string message;
};

bool has_hl7_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".hl7" || ext == ".er7" || ext == ".msg" || ext == ".txt" || ext == ".dat";
}

bool read_whole(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool collect(const SendOptions& o, std::vector<Item>* items) {
  std::vector<fs::path> files;
  for (const auto& in : o.inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<fs::path> found;
      for (auto it = fs::recursive_directory_iterator(in, ec); !ec && it != fs::end(it);
           it.increment(ec))
        if (it->is_regular_file() && has_hl7_extension(it->path())) found.push_back(it->path());
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(in, ec)) {
      files.emplace_back(in);
    } else {
      std::fprintf(stderr, "gatewayctl send: %s: no such file or folder\n", in.c_str());
      return false;
    }
  }
  for (const auto& f : files) {
    std::string content;
    if (!read_whole(f, &content)) {
      std::fprintf(stderr, "gatewayctl send: %s: cannot read\n", f.c_str());
      return false;
    }
    std::vector<std::string> envelope;
    std::vector<std::string> msgs = split_messages(content, &envelope);
    if (msgs.empty()) {
      // No MSH at all: send the content as it is, so an engineer can see how
      // the gateway answers a malformed message.
      bool blank = content.find_first_not_of(" \t\r\n") == std::string::npos;
      if (blank) {
        std::fprintf(stderr, "gatewayctl send: %s: empty, skipped\n", f.c_str());
        continue;
      }
      items->push_back({f.string(), content});
      continue;
    }
    for (const auto& e : envelope)
      std::fprintf(stderr, "gatewayctl send: %s: batch envelope: %s\n", f.c_str(), e.c_str());
    for (size_t i = 0; i < msgs.size(); ++i)
      items->push_back({msgs.size() == 1 ? f.string() : f.string() + "#" + std::to_string(i + 1),
                        std::move(msgs[i])});
  }
  return true;
}

bool parse_args(const std::vector<std::string>& args, SendOptions* o) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto need = [&](const char* name) -> const std::string* {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "gatewayctl send: %s needs a value\n", name);
        return nullptr;
      }
      return &args[++i];
    };
    if (a == "--to") {
      const std::string* v = need("--to");
      if (!v) return false;
      size_t colon = v->rfind(':');
      uint64_t port = 0;
      if (colon == std::string::npos || colon == 0 ||
          !parse_decimal_arg(v->substr(colon + 1), 1, 65535, &port)) {
        std::fprintf(stderr, "gatewayctl send: --to expects HOST:PORT, got '%s'\n", v->c_str());
        return false;
      }
      o->host = v->substr(0, colon);
      if (o->host.size() > 2 && o->host.front() == '[')
        o->host = o->host.substr(1, o->host.size() - 2);
      o->port = static_cast<uint16_t>(port);
    } else if (a == "--timeout-ms") {
      const std::string* v = need("--timeout-ms");
      if (!v) return false;
      uint64_t ms = 0;
      if (!parse_decimal_arg(*v, 1, 3'600'000, &ms)) {
        std::fprintf(stderr,
                     "gatewayctl send: --timeout-ms needs milliseconds from 1 to 3600000\n");
        return false;
      }
      o->timeout = std::chrono::milliseconds(static_cast<int64_t>(ms));
    } else if (a == "--retries") {
      const std::string* v = need("--retries");
      if (!v) return false;
      uint64_t n = 0;
      if (!parse_decimal_arg(*v, 0, 1000, &n)) {
        std::fprintf(stderr, "gatewayctl send: --retries needs a number from 0 to 1000\n");
        return false;
      }
      o->retries = static_cast<int>(n);
    } else if (a == "--summary") {
      o->summary_only = true;
    } else if (a == "--show-acks") {
      o->show_acks = true;
    } else if (a == "--tls") {
      o->tls = true;
    } else if (a == "--ca" || a == "--cert" || a == "--key" || a == "--server-name") {
      const std::string* v = need(a.c_str());
      if (!v) return false;
      if (v->empty()) {
        std::fprintf(stderr, "gatewayctl send: %s needs a non-empty value\n", a.c_str());
        return false;
      }
      std::string* field = a == "--ca"     ? &o->tls_options.ca_file
                           : a == "--cert" ? &o->tls_options.cert_file
                           : a == "--key"  ? &o->tls_options.key_file
                                           : &o->tls_options.server_name;
      *field = *v;
    } else if (a.starts_with("--")) {
      std::fprintf(stderr, "gatewayctl send: unknown option '%s'\n", a.c_str());
      return false;
    } else {
      o->inputs.push_back(a);
    }
  }
  if (o->host.empty()) {
    std::fprintf(stderr, "gatewayctl send: --to HOST:PORT is required\n");
    return false;
  }
  if (o->inputs.empty()) {
    std::fprintf(stderr, "gatewayctl send: name at least one FILE or folder\n");
    return false;
  }
  const mllp::ClientTlsOptions& t = o->tls_options;
  if (!o->tls && (!t.ca_file.empty() || !t.cert_file.empty() || !t.key_file.empty() ||
                  !t.server_name.empty())) {
    std::fprintf(stderr,
                 "gatewayctl send: --ca, --cert, --key and --server-name need --tls (without it "
                 "the connection would be plain TCP)\n");
    return false;
  }
  if (t.cert_file.empty() != t.key_file.empty()) {
    std::fprintf(stderr, "gatewayctl send: --cert and --key go together\n");
    return false;
  }
  return true;
}

std::string describe_errors(const hl7::AckSummary& ack) {
  std::string out;
  for (const auto& e : ack.errors) {
    out += "\n      ERR " + e.code;
    if (!e.text.empty()) out += " " + e.text;
    std::string where = e.where.to_string();
    if (!where.empty()) out += " at " + where;
    const std::string& detail = !e.user_message.empty() ? e.user_message : e.diagnostic;
    if (!detail.empty()) out += ": " + detail;
  }
  if (ack.errors.empty() && !ack.text.empty()) out += "\n      MSA-3: " + ack.text;
  return out;
}

}  // namespace

std::vector<std::string> split_messages(const std::string& content,
                                        std::vector<std::string>* envelope_errors) {
  // MLLP carries segments separated by CR; files edited on Unix or Windows
  // often use LF or CR LF.
  std::string normalized;
  normalized.reserve(content.size());
  for (size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '\r' && i + 1 < content.size() && content[i + 1] == '\n') continue;
    normalized.push_back(content[i] == '\n' ? '\r' : content[i]);
  }
  hl7::Limits limits;
  limits.max_batch_bytes = std::max<size_t>(limits.max_batch_bytes, normalized.size());
  hl7::BatchFile file = hl7::split_batch(normalized, limits);
  std::vector<std::string> out;
  for (const auto& batch : file.batches)
    for (std::string_view m : batch.messages) {
      std::string msg(m);
      while (!msg.empty() && msg.back() == '\r') msg.pop_back();
      msg.push_back('\r');
      out.push_back(std::move(msg));
    }
  if (envelope_errors)
    for (const auto& e : file.errors) envelope_errors->push_back(e.to_string());
  return out;
}

int ctl_send(const std::vector<std::string>& args) {
  SendOptions o;
  if (!parse_args(args, &o)) return 2;
  std::vector<Item> items;
  if (!collect(o, &items)) return 2;
  if (items.empty()) {
    std::fprintf(stderr, "gatewayctl send: no messages found\n");
    return 2;
  }

  std::unique_ptr<mllp::Client> client;
  auto connect = [&]() -> bool {
    const std::chrono::milliseconds connect_timeout(5000);
    auto connected = o.tls ? mllp::Client::connect(o.host, o.port, connect_timeout, o.tls_options)
                           : mllp::Client::connect(o.host, o.port, connect_timeout);
    if (!connected.ok()) {
      std::fprintf(stderr, "gatewayctl send: cannot connect to %s:%u: %s\n", o.host.c_str(), o.port,
                   connected.error().message().c_str());
      return false;
    }
    client = std::move(connected).value();
    return true;
  };
  if (!connect()) return 2;

  std::map<std::string, int> counts;  // by MSA-1 code
  int no_ack_expected = 0, unanswered = 0, mismatched = 0;
  auto started = std::chrono::steady_clock::now();
  for (const auto& item : items) {
    hl7::ParseOptions po;
    po.require_header_fields = false;
    po.check_escapes = false;
    hl7::ParseResult parsed = hl7::parse(item.message, po);
    std::string control_id = parsed.header ? parsed.header->control_id : "";
    std::string accept = parsed.header ? parsed.header->accept_ack_type : "";
    bool enhanced = parsed.header && parsed.header->enhanced_ack_mode();
    if (enhanced && accept.empty()) accept = "AL";
    // Acknowledgements are not acknowledged: send an ACK like an NE message.
    if (parsed.header && parsed.header->message_code == "ACK") {
      enhanced = true;
      accept = "NE";
    }

    std::optional<std::string> reply;
    for (int attempt = 0; attempt <= o.retries; ++attempt) {
      if (!client && !connect()) return 2;
      if (!client->send(item.message).ok()) {
        client.reset();
        continue;
      }
      if (enhanced && accept == "NE") break;
      auto wait = (enhanced && (accept == "ER" || accept == "SU")) ? o.conditional_wait : o.timeout;
      auto received = client->receive(wait);
      if (received.ok()) {
        reply = std::move(received).value();
        break;
      }
      if (enhanced && (accept == "ER" || accept == "SU")) break;
      // Connection lost or timed out before the acknowledgement: resend on a
      // new connection. Safe: the gateway recognises duplicates by MSH-10.
      std::fprintf(stderr, "gatewayctl send: %s: %s; %s\n", item.label.c_str(),
                   received.error().message().c_str(),
                   attempt < o.retries ? "reconnecting to resend" : "giving up");
      client.reset();
    }
    if (!reply) {
      if (enhanced && (accept == "NE" || accept == "ER" || accept == "SU")) {
        ++no_ack_expected;
        if (!o.summary_only)
          std::printf("  --  %-3s %s  MSH-10=%s (no acknowledgement: %s)\n", "", item.label.c_str(),
                      control_id.c_str(),
                      parsed.header && parsed.header->message_code == "ACK"
                          ? "an ACK is not acknowledged"
                          : ("MSH-15=" + accept).c_str());
      } else {
        ++unanswered;
        std::printf("  !!  %-3s %s  MSH-10=%s no acknowledgement\n", "", item.label.c_str(),
                    control_id.c_str());
      }
      continue;
    }
    auto ack = hl7::read_ack(*reply);
    if (!ack.ok()) {
      ++unanswered;
      std::printf("  !!  %-3s %s  MSH-10=%s unreadable acknowledgement: %s\n", "",
                  item.label.c_str(), control_id.c_str(), ack.error().message().c_str());
      continue;
    }
    if (o.show_acks) {
      std::string shown = *reply;
      for (char& ch : shown)
        if (ch == '\r') ch = '\n';
      while (!shown.empty() && shown.back() == '\n') shown.pop_back();
      std::printf("%s\n", shown.c_str());
    }
    ++counts[ack->code];
    bool positive = ack->code == "AA" || ack->code == "CA";
    bool matches = ack->control_id == control_id;
    if (!matches) ++mismatched;
    if (!o.summary_only || !positive || !matches) {
      std::printf("  %s %-3s %s  MSH-10=%s%s%s\n", positive ? "ok " : "NAK", ack->code.c_str(),
                  item.label.c_str(), control_id.c_str(),
                  matches ? "" : ("  (MSA-2 is '" + ack->control_id + "')").c_str(),
                  positive ? "" : describe_errors(*ack).c_str());
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  int positive = counts["AA"] + counts["CA"];
  std::string by_code;
  for (const char* c : {"AA", "AE", "AR", "CA", "CE", "CR"})
    if (counts[c] > 0)
      by_code += std::string(by_code.empty() ? "" : ", ") + c + " " + std::to_string(counts[c]);
  for (const auto& [c, n] : counts)
    if (c != "AA" && c != "AE" && c != "AR" && c != "CA" && c != "CE" && c != "CR")
      by_code += (by_code.empty() ? "" : ", ") + c + " " + std::to_string(n);
  std::printf("sent %zu message%s to %s:%u in %.2f s: %s", items.size(),
              items.size() == 1 ? "" : "s", o.host.c_str(), o.port, secs,
              by_code.empty() ? "no acknowledgements" : by_code.c_str());
  if (no_ack_expected) std::printf(", no acknowledgement requested %d", no_ack_expected);
  if (unanswered) std::printf(", unanswered %d", unanswered);
  if (mismatched) std::printf(", MSA-2 mismatches %d", mismatched);
  std::printf("\n");
  bool all_good = positive + no_ack_expected == static_cast<int>(items.size()) && mismatched == 0;
  return all_good ? 0 : 1;
}

}  // namespace gw::cli
