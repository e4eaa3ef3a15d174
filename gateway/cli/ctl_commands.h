// gatewayctl commands. Each takes the arguments after its name (the verb
// first) and returns the process exit status; they print to stdout/stderr.
// gatewayctl.cc's command table dispatches to them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/store/message_store.h"

namespace gw::config {
struct GatewayConfig;
}
namespace gw::keys {
struct LoadedKeys;
}

namespace gw::cli {

int ctl_send(const std::vector<std::string>& args);
int ctl_messages(const std::vector<std::string>& args);
int ctl_convert(const std::vector<std::string>& args);
int ctl_records(const std::vector<std::string>& args);
// records relabel (ctl_relabel.cc).
int ctl_records_relabel(const std::vector<std::string>& args);
int ctl_tpm(const std::vector<std::string>& args);
int ctl_ledger(const std::vector<std::string>& args);
// The ledger verbs are spread over four files; the command table in
// gatewayctl.cc says which handler takes which verb.
// deploy | status (ctl_ledger.cc).
// members | propose-* | apply-custody | approve (ctl_governance.cc).
int ctl_ledger_governance(const std::vector<std::string>& args);
// outbox | retry (ctl_outbox.cc).
int ctl_ledger_outbox(const std::vector<std::string>& args);
// member-entry | verify (ctl_audit.cc).
int ctl_ledger_audit(const std::vector<std::string>& args);
// status | list | retry of the forwarding queue (ctl_outbound.cc).
int ctl_outbound(const std::vector<std::string>& args);
// apply | show | list: a REST client of gatewayd's Consent endpoint (ctl_consent.cc).
int ctl_consent(const std::vector<std::string>& args);
// send | request: a REST client of gatewayd's transfer operations (ctl_transfer.cc).
int ctl_transfer(const std::vector<std::string>& args);
// list | show: the transfer store, read-only (ctl_transfer_state.cc).
int ctl_transfer_state(const std::vector<std::string>& args);
// verify: the audit trail (ctl_audit_trail.cc).
int ctl_audit_trail(const std::vector<std::string>& args);
// report: the patient access report as a PDF (ctl_audit_report.cc).
int ctl_audit(const std::vector<std::string>& args);
// Prints the ledger command's usage to stderr and returns 2.
int ledger_usage();

// Shared pieces (defined in ctl_ledger.cc): prints "gatewayctl: MESSAGE" to
// stderr and returns 1; a decimal argument in [lo, hi] (digits only: no sign,
// no spaces, nothing after), false otherwise. Every numeric option of
// gatewayctl goes through it, so junk is an error rather than a 0.
int ctl_fail(const std::string& message);
bool parse_decimal_arg(const std::string& text, uint64_t lo, uint64_t hi, uint64_t* out);

// Opens the store of the gatewayd configured by `config_path` (its
// state_dir/messages.db); prints the reason to stderr and returns null on
// failure (ctl_store.cc). Commands that need more than the store get the
// configuration and the loaded keys through `cfg_out` and `keys_out`.
std::unique_ptr<store::MessageStore> open_store_for_ctl(const std::string& config_path,
                                                        config::GatewayConfig* cfg_out = nullptr,
                                                        keys::LoadedKeys* keys_out = nullptr);

// gatewayctl records' TIME arguments: YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM|-HH:MM]]
// (UTC when no zone) -> Unix milliseconds. False if malformed.
bool parse_time_arg(const std::string& text, int64_t* ms);

// Splits a file's content into HL7 v2 messages ready to send: \r\n and \n
// segment separators become \r, batch envelopes (FHS/BHS ... BTS/FTS) are
// removed. Envelope problems (e.g. a BTS-1 count that does not match) are
// appended to *envelope_errors when it is non-null; the messages are still
// returned.
std::vector<std::string> split_messages(const std::string& content,
                                        std::vector<std::string>* envelope_errors = nullptr);

}  // namespace gw::cli
