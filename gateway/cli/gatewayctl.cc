// gatewayctl, the operator CLI: the table of commands and their help.
#include <cstring>
#include <string>
#include <vector>

#include "gateway/cli/gatewayctl.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/app/version.h"

namespace gw::cli {
namespace {

constexpr const char* kUsage =
    "usage: gatewayctl <command> [options]\n"
    "\n"
    "commands:\n"
    "  send --to HOST:PORT [--timeout-ms N] [--retries N] [--summary] [--show-acks] FILE|DIR...\n"
    "      Send HL7 v2 messages over MLLP and wait for each acknowledgement.\n"
    "      Files may hold one message, several, or a batch (FHS/BHS...BTS/FTS);\n"
    "      folders are read recursively in name order. Reports AA/AE/AR (or\n"
    "      CA/CE/CR) counts and the ERR detail of every negative acknowledgement.\n"
    "      Exit status: 0 all accepted, 1 some refused or unanswered, 2 usage or\n"
    "      connection error. --summary prints only refusals and the totals;\n"
    "      --show-acks prints every acknowledgement received.\n"
    "  messages list --config FILE [--limit N] [--after ID] [--rejected]\n"
    "      List stored messages (ids, channel, sender, control id, type, status;\n"
    "      never message content).\n"
    "  messages count --config FILE\n"
    "  convert [--config FILE] [--channel NAME] [--ndjson] [--quiet] FILE...\n"
    "      Print the FHIR R4 transaction Bundle each HL7 v2 message would become\n"
    "      (mapped with the channel's settings and validated, as gatewayd would\n"
    "      store it), without storing anything: one JSON document for a single\n"
    "      message, NDJSON (one Bundle per line) for several. Mapping and\n"
    "      validation problems go to stderr naming the segment and field.\n"
    "      Exit status: 0 all converted, 1 some could not be, 2 usage error.\n"
    "  records export --config FILE [--since TIME] [--until TIME] [--message ID]\n"
    "                 [--type RESOURCE]\n"
    "      Write stored normalized records as NDJSON (one resource per line, with\n"
    "      meta.versionId and meta.lastUpdated). Contains PHI.\n"
    "  records count --config FILE\n"
    "  tpm provision --config FILE\n"
    "      Create the appliance's keys where missing (TPM storage primary, sealed\n"
    "      record-encryption and ledger keys, attestation and batch-signing keys);\n"
    "      re-running says what exists and replaces nothing. Prints the ledger\n"
    "      account address.\n"
    "  tpm import-consortium-key --config FILE [--replace] KEYFILE\n"
    "      Import the consortium tokenization key (32 bytes or 64 hex digits)\n"
    "      under this TPM; delete KEYFILE afterwards.\n"
    "  ledger deploy --config FILE --founders FILE.json --quorum N [--ttl-days D]\n"
    "      Deploy the consortium contracts (ProviderRegistry, ConsentRegistry,\n"
    "      TransferLog, AuditAnchor, RecordToken) from this gateway's ledger\n"
    "      account, with the founders listed in FILE.json and N approvals needed\n"
    "      for governance; proposals expire after D days (default 7). Writes the\n"
    "      deployment file ([ledger] deployment) to copy to every member gateway.\n"
    "      Safe to re-run: an interrupted deployment resumes, a finished one\n"
    "      returns the same addresses.\n"
    "  ledger status --config FILE\n"
    "      Chain id, head block, this gateway's ledger account, balance, nonce,\n"
    "      membership, whether the deployment file's contracts check out, and\n"
    "      the outbox counts. Exit status 0 when the node is reachable and the\n"
    "      deployment verified, 1 otherwise (with the reason).\n"
    "  ledger member-entry --config FILE --org-id ID --name NAME --encryption-key HEX\n"
    "                      [--tls-fingerprint HEX] [--accreditation REF]\n"
    "      Print this gateway's member entry (founders format) for founders.json\n"
    "      or propose-add/propose-rekey: its ledger account, the SHA-256 of its\n"
    "      batch-signing public key and of its [https] certificate.\n"
    "  ledger verify --config FILE [--batch ID | --from ID]\n"
    "      Audit record batches: rebuild each root from the stored commitments,\n"
    "      verify its TPM signature, check the registry lists this signing key,\n"
    "      and find the anchor on the ledger with the same range and signature.\n"
    "      Exit status 0 when nothing is wrong (unanchored batches are not), 1\n"
    "      otherwise.\n"
    "  ledger members --config FILE [--json]\n"
    "      The consortium's members with their status, the quorum and the\n"
    "      approvals a proposal needs; --json adds every member's keys and\n"
    "      fingerprints (founders format plus status).\n"
    "  ledger propose-add --config FILE --member FILE.json\n"
    "  ledger propose-suspend|propose-reinstate --config FILE --account 0x...\n"
    "      Propose a governance change (FILE.json: one member, founders format);\n"
    "      prints the proposal id for the other members to approve.\n"
    "  ledger approve --config FILE --proposal ID\n"
    "      Approve a proposal; says whether this approval executed it.\n"
    "  ledger outbox --config FILE [--state S] [--kind K] [--limit N]\n"
    "      The ledger outbox's newest items (default 50) with their state,\n"
    "      transaction and outcome; S: queued|submitted|done|refused|failed,\n"
    "      K: transfer|anchor|grant|call.\n"
    "  ledger retry --config FILE (--item SEQ | --all-failed)\n"
    "      Requeue failed items (refused ones are the contract's decision and\n"
    "      stay). outbox and retry touch only the outbox file: they run beside\n"
    "      gatewayd.\n"
    "      The other ledger commands except members use the key store: with\n"
    "      swtpm (which serves one client at a time), stop gatewayd first.\n"
    "  version\n";

}  // namespace

int run_gatewayctl(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "version" || cmd == "--version") {
    std::printf("gatewayctl %s\n", gw::app::kVersion);
    return 0;
  }
  if (cmd == "send") return gw::cli::ctl_send(args);
  if (cmd == "messages") return gw::cli::ctl_messages(args);
  if (cmd == "convert") return gw::cli::ctl_convert(args);
  if (cmd == "records") return gw::cli::ctl_records(args);
  if (cmd == "tpm") return gw::cli::ctl_tpm(args);
  if (cmd == "ledger") return gw::cli::ctl_ledger(args);
  std::fprintf(stderr, "gatewayctl: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}
}  // namespace gw::cli
