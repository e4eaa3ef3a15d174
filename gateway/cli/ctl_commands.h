// gatewayctl subcommands. Each takes the arguments after its name and returns
// the process exit status; they print to stdout/stderr.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gw::cli {

int ctl_send(const std::vector<std::string>& args);
int ctl_messages(const std::vector<std::string>& args);
int ctl_convert(const std::vector<std::string>& args);
int ctl_records(const std::vector<std::string>& args);
int ctl_tpm(const std::vector<std::string>& args);
int ctl_ledger(const std::vector<std::string>& args);
// gatewayctl ledger members | propose-add | propose-suspend | propose-reinstate
// | approve (ctl_governance.cc), and the usage text both print.
bool is_governance_command(const std::string& sub);
int ctl_ledger_governance(const std::vector<std::string>& args);
// gatewayctl ledger outbox | retry (ctl_outbox.cc).
bool is_outbox_command(const std::string& sub);
int ctl_ledger_outbox(const std::vector<std::string>& args);
// gatewayctl ledger member-entry | verify (ctl_audit.cc).
bool is_audit_command(const std::string& sub);
int ctl_ledger_audit(const std::vector<std::string>& args);
int ledger_usage();

// Shared pieces (defined in ctl_ledger.cc): prints "gatewayctl: MESSAGE" to
// stderr and returns 1; a decimal argument in [lo, hi] (digits only: no sign,
// no spaces, nothing after), false otherwise. Every numeric option of
// gatewayctl goes through it, so junk is an error rather than a 0.
int ctl_fail(const std::string& message);
bool parse_decimal_arg(const std::string& text, uint64_t lo, uint64_t hi, uint64_t* out);

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
