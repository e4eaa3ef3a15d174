// Helpers shared by integration tests: loading the sample corpus and giving
// each message a fresh MSH-10 so several clients can send it concurrently.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/v2fhir/convert.h"
#include "gateway/cli/ctl_commands.h"
#include "tests/support/gatewayd_process.h"

namespace gw::testing {

inline std::string msh_field(const std::string& msg, int n);

struct CorpusMessage {
  std::string file;
  std::string text;  // \r-separated segments
};

// Every well-formed message of tests/corpus/hl7 (top level, batch files split).
inline std::vector<CorpusMessage> load_corpus() {
  std::vector<CorpusMessage> out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(corpus_dir()))
    if (e.is_regular_file() && e.path().extension() == ".hl7") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    for (auto& m : gw::cli::split_messages(read_file(f.string())))
      if (msh_field(m, 9).rfind("ACK", 0) != 0)  // ACKs are stored but never answered
        out.push_back({f.filename().string(), std::move(m)});
  }
  return out;
}

inline std::vector<std::string> load_malformed() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(corpus_dir() + "/malformed"))
    if (e.is_regular_file()) out.push_back(read_file(e.path().string()));
  return out;
}

// Splits the MSH segment by its field separator; field n (n >= 3) is at index n - 1.
inline std::vector<std::string> msh_fields(const std::string& msg) {
  std::vector<std::string> f;
  if (msg.size() < 4) return f;
  char sep = msg[3];
  size_t end = msg.find('\r');
  std::string msh = msg.substr(0, end);
  size_t start = 0;
  for (;;) {
    size_t p = msh.find(sep, start);
    f.push_back(msh.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return f;
}

inline std::string msh_field(const std::string& msg, int n) {
  auto f = msh_fields(msg);
  return static_cast<size_t>(n - 1) < f.size() ? f[n - 1] : "";
}

// Replaces MSH-10 (the control id).
inline std::string with_control_id(const std::string& msg, const std::string& id) {
  char sep = msg[3];
  size_t pos = 0;
  for (int i = 0; i < 9; ++i) pos = msg.find(sep, pos) + 1;  // start of MSH-10
  size_t end = msg.find_first_of(std::string(1, sep) + "\r", pos);
  return msg.substr(0, pos) + id + msg.substr(end);
}

// Sets MSH-n (n >= 3), adding empty fields as needed.
inline std::string with_msh_field(const std::string& msg, int n, const std::string& value) {
  auto f = msh_fields(msg);
  while (f.size() < static_cast<size_t>(n)) f.emplace_back();
  f[n - 1] = value;
  char sep = msg[3];
  std::string msh;
  for (size_t i = 0; i < f.size(); ++i) {
    if (i > 0) msh.push_back(sep);
    msh += f[i];
  }
  return msh + msg.substr(msg.find('\r'));
}

// True if the gateway maps this message's type (MSH-9.1^MSH-9.2) to FHIR.
// Messages of other types are answered AE (code 200) and kept in the error
// queue, so tests that send the whole corpus expect that for them.
inline bool is_mappable(const std::string& msg) {
  std::string type = msh_field(msg, 9);
  const char component = msg.size() > 4 ? msg[4] : '^';  // MSH-2's first character
  std::replace(type.begin(), type.end(), component, '^');
  const size_t c1 = type.find('^');
  const size_t c2 = c1 == std::string::npos ? c1 : type.find('^', c1 + 1);
  const std::string code_event = type.substr(0, c2);
  for (const std::string& t : gw::v2fhir::supported_message_types())
    if (t == code_event) return true;
  return false;
}

// The corpus messages the gateway maps, i.e. those answered AA.
inline std::vector<CorpusMessage> load_mappable_corpus() {
  std::vector<CorpusMessage> out;
  for (auto& m : load_corpus())
    if (is_mappable(m.text)) out.push_back(std::move(m));
  return out;
}

// The original-mode acknowledgement code a well-formed corpus message gets.
inline std::string expected_ack(const std::string& msg) { return is_mappable(msg) ? "AA" : "AE"; }

// Empties MSH-15/16 so the message asks for an original-mode acknowledgement.
inline std::string original_mode(const std::string& msg) {
  if (msh_fields(msg).size() < 15) return msg;
  return with_msh_field(with_msh_field(msg, 15, ""), 16, "");
}

}  // namespace gw::testing
