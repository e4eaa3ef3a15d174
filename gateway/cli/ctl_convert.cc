// gatewayctl convert: prints the FHIR transaction Bundle each HL7 v2 message
// would become, exactly as gatewayd would map, validate and store it, without
// storing anything. Integration engineers use it to try a mapping change
// (a channel's time zone, identifier systems, code map, Z rules) before
// deploying it.
//
// Output: one pretty-printed JSON document when the files hold one message
// in all; otherwise NDJSON, one compact Bundle per line in input order.
// Problems go to stderr as "FILE[#N]: LOCATION: text" (never content).
// Exit status: 0 every message converted; 1 some message could not be
// parsed or mapped (the others are still printed); 2 usage or configuration
// error.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/hl7/er7.h"
#include "fhir/json/write.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/config/config.h"
#include "gateway/pipeline/channel_options.h"
#include "gateway/pipeline/normalize.h"

namespace gw::cli {

using pipeline::ingest_options;
using pipeline::IngestOptions;
using pipeline::normalize_v2;
using pipeline::NormalizeIssue;

using pipeline::Normalized;
namespace {

std::string convert_usage() { return ctl_usage("convert"); }

struct Input {
  std::string label;  // "file" or "file#N"
  std::string message;
};

bool read_inputs(const std::vector<std::string>& files, std::vector<Input>* inputs) {
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "gatewayctl convert: cannot read %s\n", f.c_str());
      return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<std::string> envelope_errors;
    std::vector<std::string> messages = split_messages(ss.str(), &envelope_errors);
    for (const std::string& e : envelope_errors)
      std::fprintf(stderr, "%s: batch envelope: %s\n", f.c_str(), e.c_str());
    if (messages.empty()) std::fprintf(stderr, "%s: no HL7 v2 message found\n", f.c_str());
    for (size_t i = 0; i < messages.size(); ++i) {
      inputs->push_back(
          {messages.size() == 1 ? f : f + "#" + std::to_string(i + 1), std::move(messages[i])});
    }
  }
  return true;
}

}  // namespace

int ctl_convert(const std::vector<std::string>& args) {
  std::string config_path, channel_name;
  bool force_ndjson = false, quiet = false;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--channel" && i + 1 < args.size()) {
      channel_name = args[++i];
    } else if (args[i] == "--ndjson") {
      force_ndjson = true;
    } else if (args[i] == "--quiet") {
      quiet = true;
    } else if (args[i].starts_with("--")) {
      std::fprintf(stderr, "gatewayctl convert: unknown option '%s'\n%s", args[i].c_str(),
                   convert_usage().c_str());
      return 2;
    } else {
      files.push_back(args[i]);
    }
  }
  if (files.empty()) {
    std::fputs(convert_usage().c_str(), stderr);
    return 2;
  }

  config::ChannelConfig channel;  // defaults: UTC, no tables
  channel.name = "convert";
  if (!config_path.empty()) {
    std::string error;
    auto cfg = config::load_config(config_path);
    if (!cfg) {
      std::fprintf(stderr, "gatewayctl convert: configuration error: %s\n",
                   cfg.error().message().c_str());
      return 2;
    }
    const config::ChannelConfig* found = nullptr;
    std::string names;
    for (const auto& c : cfg->channels) {
      names += (names.empty() ? "" : ", ") + c.name;
      if (c.name == channel_name || (channel_name.empty() && cfg->channels.size() == 1)) found = &c;
    }
    if (found == nullptr) {
      std::fprintf(stderr,
                   channel_name.empty()
                       ? "gatewayctl convert: %s has several channels (%s); choose one with "
                         "--channel NAME\n"
                       : "gatewayctl convert: %s has no channel '%s' (channels: %s)\n",
                   config_path.c_str(), channel_name.empty() ? names.c_str() : channel_name.c_str(),
                   names.c_str());
      return 2;
    }
    channel = *found;
  } else if (!channel_name.empty()) {
    std::fprintf(stderr, "gatewayctl convert: --channel needs --config FILE\n");
    return 2;
  }
  const IngestOptions options = ingest_options(channel);

  std::vector<Input> inputs;
  if (!read_inputs(files, &inputs)) return 2;
  const bool ndjson = force_ndjson || inputs.size() != 1;
  int failures = inputs.empty() ? 1 : 0;
  for (const Input& in : inputs) {
    hl7::ParseResult r = hl7::parse(in.message, options.parse);
    if (!r.message || !r.errors.empty()) {
      for (const hl7::Error& e : r.errors)
        std::fprintf(stderr, "%s: %s\n", in.label.c_str(), e.to_string().c_str());
      if (r.errors.empty()) std::fprintf(stderr, "%s: not an HL7 v2 message\n", in.label.c_str());
      ++failures;
      continue;
    }
    Normalized n = normalize_v2(*r.message, options.mapping);
    if (!quiet)
      for (const NormalizeIssue& w : n.warnings)
        std::fprintf(stderr, "%s: warning: %s: %s\n", in.label.c_str(), w.location().c_str(),
                     w.text.c_str());
    if (!n.ok()) {
      for (const NormalizeIssue& e : n.errors)
        std::fprintf(stderr, "%s: error: %s: %s\n", in.label.c_str(), e.location().c_str(),
                     e.text.c_str());
      ++failures;
      continue;
    }
    std::string out = fhir::write_json(n.bundle, !ndjson);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  std::fflush(stdout);
  return failures == 0 ? 0 : 1;
}

}  // namespace gw::cli
