// gatewayctl, the operator CLI: the table of commands, and the dispatch and
// help generated from it.
#include "gateway/cli/gatewayctl.h"

#include <cstdio>
#include <string>
#include <vector>

#include "gateway/app/version.h"
#include "gateway/cli/ctl_commands.h"

namespace gw::cli {
namespace {

int ctl_version(const std::vector<std::string>&) {
  std::printf("gatewayctl %s\n", gw::app::kVersion);
  return 0;
}

constexpr std::string_view kLedgerNotes =
    "outbox and retry touch only the outbox file: they run beside gatewayd.\n"
    "The other ledger commands except members use the key store: with swtpm\n"
    "(which serves one client at a time), stop gatewayd first.";

std::vector<CtlCommand> make_table() {
  return {
      {"send",
       "--to HOST:PORT [--tls [--ca FILE] [--cert FILE --key FILE] [--server-name NAME]]\n"
       "[--timeout-ms N] [--retries N] [--summary] [--show-acks] FILE|DIR...",
       "Send HL7 v2 messages over MLLP and wait for each acknowledgement.\n"
       "Files may hold one message, several, or a batch (FHS/BHS...BTS/FTS);\n"
       "folders are read recursively in name order. Reports AA/AE/AR (or\n"
       "CA/CE/CR) counts and the ERR detail of every negative acknowledgement.\n"
       "Exit status: 0 all accepted, 1 some refused or unanswered, 2 usage or\n"
       "connection error. --summary prints only refusals and the totals;\n"
       "--show-acks prints every acknowledgement received.\n"
       "--tls: MLLP over TLS 1.2+; the server's certificate must verify against\n"
       "--ca (PEM; default: the system's trust store) and name the host of --to\n"
       "(or --server-name); --cert and --key present a client certificate.",
       ctl_send,
       {},
       ""},
      {"messages",
       "",
       "",
       ctl_messages,
       {
           {"list", "--config FILE [--limit N] [--after ID] [--rejected]",
            "List stored messages (ids, channel, sender, control id, type, status;\n"
            "never message content).",
            nullptr},
           {"count", "--config FILE", "", nullptr},
       },
       ""},
      {"convert",
       "[--config FILE] [--channel NAME] [--ndjson] [--quiet] FILE...",
       "Print the FHIR R4 transaction Bundle each HL7 v2 message would become\n"
       "(mapped with the channel's settings and validated, as gatewayd would\n"
       "store it), without storing anything: one JSON document for a single\n"
       "message, NDJSON (one Bundle per line) for several. Mapping and\n"
       "validation problems go to stderr naming the segment and field.\n"
       "Exit status: 0 all converted, 1 some could not be, 2 usage error.",
       ctl_convert,
       {},
       ""},
      {"records",
       "",
       "",
       ctl_records,
       {
           {"export",
            "--config FILE [--since TIME] [--until TIME] [--message ID] [--type RESOURCE]",
            "Write stored normalized records as NDJSON (one resource per line, as a\n"
            "REST read returns it, with meta.versionId and meta.lastUpdated).\n"
            "Contains PHI.",
            nullptr},
           {"count", "--config FILE", "", nullptr},
           {"relabel", "--config FILE",
            "Apply the configuration's current [labels] rules to the latest version\n"
            "of every stored record: a record that gains a sensitivity label gets a\n"
            "new version (labels are only added); a second run changes nothing.\n"
            "Prints counts only. Uses the record key: stop gatewayd first.",
            ctl_records_relabel},
       },
       "TIME is YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z or YYYY-MM-DDTHH:MM[:SS]+HH:MM\n"
       "(UTC if no zone)."},
      {"tpm",
       "",
       "",
       ctl_tpm,
       {
           {"provision", "--config FILE",
            "Create the appliance's keys where missing (TPM storage primary, sealed\n"
            "record-encryption, ledger and X25519 payload keys, attestation and\n"
            "batch-signing keys); re-running says what exists and replaces nothing.\n"
            "Prints the ledger account address and the payload public key.",
            nullptr},
           {"rotate-payload-key", "--config FILE",
            "Create the next X25519 payload key generation (sealed like the first)\n"
            "and print its public key; older generations stay usable for transfers\n"
            "already recorded to them. Then restart gatewayd, and publish the key\n"
            "with ledger member-entry and ledger propose-rekey.",
            nullptr},
           {"import-consortium-key", "--config FILE [--replace] KEYFILE",
            "Import the consortium tokenization key (32 bytes or 64 hex digits)\n"
            "under this TPM; delete KEYFILE afterwards.",
            nullptr},
           {"ek", "--config FILE --out DIR",
            "Write the endorsement key (public key, name, certificate where the TPM\n"
            "has one) and the attestation key's public key and name, for the\n"
            "security team.",
            nullptr},
           {"certify-ak", "--config FILE --credential FILE --out FILE",
            "ActivateCredential of a tpm2_makecredential file made for the EK and the\n"
            "AK name; writes the recovered secret.",
            nullptr},
           {"quote", "--config FILE --nonce HEX --out DIR",
            "A quote over [tpm] quote_pcrs with qualifying data SHA-256(nonce ||\n"
            "ledger address || TLS public key), in the files tpm2_checkquote reads.",
            nullptr},
       },
       ""},
      {"ledger",
       "",
       "",
       ctl_ledger,
       {
           {"deploy", "--config FILE --founders FILE.json --quorum N [--ttl-days D]",
            "Deploy the consortium contracts (ProviderRegistry, ConsentRegistry,\n"
            "TransferLog, AuditAnchor, RecordToken) from this gateway's ledger\n"
            "account, with the founders listed in FILE.json and N approvals needed\n"
            "for governance; proposals expire after D days (default 7). Writes the\n"
            "deployment file ([ledger] deployment) to copy to every member gateway.\n"
            "Safe to re-run: an interrupted deployment resumes, a finished one\n"
            "returns the same addresses.",
            nullptr},
           {"status", "--config FILE",
            "Chain id, head block, this gateway's ledger account, balance, nonce,\n"
            "membership, whether the deployment file's contracts check out, and\n"
            "the outbox counts. Exit status 0 when the node is reachable and the\n"
            "deployment verified, 1 otherwise (with the reason).",
            nullptr},
           {"member-entry",
            "--config FILE --org-id ID --name NAME\n"
            "[--tls-fingerprint HEX] [--accreditation REF]",
            "Print this gateway's member entry (founders format) for founders.json\n"
            "or propose-add/propose-rekey: its ledger account, its current X25519\n"
            "payload public key, the SHA-256 of its batch-signing public key and of\n"
            "its [https] certificate.",
            ctl_ledger_audit},
           {"verify", "--config FILE [--batch ID | --from ID]",
            "Audit record batches: rebuild each root from the stored commitments,\n"
            "verify its TPM signature, check the registry lists this signing key,\n"
            "and find the anchor on the ledger with the same range and signature.\n"
            "Exit status 0 when nothing is wrong (unanchored batches are not), 1\n"
            "otherwise.",
            ctl_ledger_audit},
           {"members", "--config FILE [--json]",
            "The consortium's members with their status, the quorum and the\n"
            "approvals a proposal needs; --json adds every member's keys and\n"
            "fingerprints (founders format plus status).",
            ctl_ledger_governance},
           {"propose-add", "--config FILE --member FILE.json",
            "Propose a new member (FILE.json: one member, founders format); prints\n"
            "the proposal id for the other members to approve.",
            ctl_ledger_governance},
           {"propose-suspend", "--config FILE --account 0x...",
            "Propose suspending a member's account.", ctl_ledger_governance},
           {"propose-reinstate", "--config FILE --account 0x...",
            "Propose reinstating a suspended member's account.", ctl_ledger_governance},
           {"propose-rekey", "--config FILE --member FILE.json",
            "Propose new keys for a member (its entry in the founders format, with\n"
            "the new encryption key, TLS fingerprint and signing-key hash).",
            ctl_ledger_governance},
           {"propose-quorum", "--config FILE --quorum N",
            "Propose a new number of approvals for governance.", ctl_ledger_governance},
           {"propose-policy", "--config FILE --emergency-access on|off",
            "Propose the consortium policy with emergency access (ETREAT transfers\n"
            "without consent, flagged) switched on or off.",
            ctl_ledger_governance},
           {"propose-custody", "--config FILE --patient 0x... --custodian 0x...",
            "Propose who holds a patient's custody (and writes its consent) when the\n"
            "member that registered the patient first is disputed.",
            ctl_ledger_governance},
           {"apply-custody", "--config FILE --proposal ID",
            "Apply an executed custody decision in the ConsentRegistry (approve does\n"
            "it by itself when its approval executes one).",
            ctl_ledger_governance},
           {"approve", "--config FILE --proposal ID",
            "Approve a proposal; says whether this approval executed it.", ctl_ledger_governance},
           {"outbox", "--config FILE [--state S] [--kind K] [--limit N]",
            "The ledger outbox's newest items (default 50) with their state,\n"
            "transaction and outcome; S: queued|submitted|done|refused|failed,\n"
            "K: transfer|anchor|grant|call.",
            ctl_ledger_outbox},
           {"retry", "--config FILE (--item SEQ | --all-failed)",
            "Requeue failed items (refused ones are the contract's decision and\n"
            "stay).",
            ctl_ledger_outbox},
       },
       kLedgerNotes},
      {"consent",
       "",
       "",
       ctl_consent,
       {
           {"apply", "--url https://HOST:PORT [--ca FILE] [--cert FILE --key FILE] FILE.json",
            "Send a FHIR Consent to gatewayd: PUT /Consent/{id} when the file has an\n"
            "id, else POST /Consent. Prints the stored version and its ledger state\n"
            "(pending, recorded with the transaction, refused with the reason), or\n"
            "the refusal with the element it names.",
            ctl_consent},
           {"show", "--url URL [--ca FILE] [--cert FILE --key FILE] ID",
            "One Consent's status, version and ledger state.", ctl_consent},
           {"list", "--url URL [--ca FILE] [--cert FILE --key FILE] --patient Patient/ID",
            "A patient's Consents with their ledger state.", ctl_consent},
       },
       "REST clients of the running gatewayd ([https]); --ca verifies its\n"
       "certificate, --cert/--key present a client certificate (mutual TLS).\n"
       "They open no key store or state file, so they run beside gatewayd."},
      {"transfer",
       "",
       "",
       ctl_transfer,
       {
           {"send",
            "--url https://HOST:PORT [--ca FILE] [--cert FILE --key FILE]\n"
            "--patient Patient/ID --to ORG_ID --purpose CODE [--category CODE]...\n"
            "[--reason TEXT] [--study ID]",
            "Push a patient's records to a member (POST Patient/ID/$transfer): the\n"
            "custodian's checks run in gatewayd. Prints the transfer id and its\n"
            "state; a refusal prints the reason and exits 1. CODE: TREAT, ETREAT,\n"
            "HPAYMT, HOPERAT, HRESCH, PUBHLTH, PATRQT, COC; --category narrows the\n"
            "grant's categories (laboratory, conditions, ...); --reason is the named\n"
            "reason emergency access (ETREAT) requires; --study names the study of a\n"
            "research (HRESCH) transfer.",
            ctl_transfer},
           {"request",
            "--url https://HOST:PORT [--ca FILE] [--cert FILE --key FILE]\n"
            "--from ORG_ID --patient-identifier SYSTEM|VALUE --purpose CODE\n"
            "[--category CODE]... [--reason TEXT] [--study ID]",
            "Ask the custodian member for a patient (POST $request-transfer, a pull):\n"
            "prints the request id and its state; the records arrive as an incoming\n"
            "transfer once the custodian has decided and the ledger recorded it.",
            ctl_transfer},
           {"list", "--config FILE [--incoming | --requests] [--json] [--limit N]",
            "This gateway's transfers, newest first (default 50): outgoing (sent as\n"
            "custodian), --incoming (received), --requests (pulls asked for), with\n"
            "state, member account, purpose, record count and the last reason.",
            ctl_transfer_state},
           {"show", "--config FILE [--json] (ID | --request ID | --incoming --sender 0x... ID)",
            "One transfer or pull request in full: for an outgoing one the recipient,\n"
            "purpose, scope, state and detail, records, Merkle root, transaction,\n"
            "emergency flag, delivery attempts and times.",
            ctl_transfer_state},
       },
       "send and request are REST clients of the running gatewayd ([https]), like\n"
       "consent. list and show open <state_dir>/transfers.db read-only (no key\n"
       "store), so they run beside gatewayd. Patient tokens are shown by prefix;\n"
       "emergency reasons are not shown."},
      {"outbound",
       "",
       "",
       ctl_outbound,
       {
           {"status", "--config FILE",
            "Per forwarding destination: queued and dead items, sent, skipped and\n"
            "retried counts, the oldest queued item's age and the head's last error.",
            nullptr},
           {"list", "--config FILE [--dead] [--limit N]",
            "Queued and dead items in queue order (default 50): store message id,\n"
            "MSH-10, attempts and last error.",
            nullptr},
           {"retry", "--config FILE [--destination NAME] [--item SEQ]",
            "Requeue dead letters (refused by the destination) in their original\n"
            "place: all, one destination's, or one item.",
            nullptr},
       },
       "They touch only <state_dir>/outbound.db: they run beside gatewayd."},
      {"audit",
       "",
       "",
       ctl_audit,
       {
           {"verify", "--config FILE [--no-ledger]",
            "Check the audit trail: every entry against the hash chain, batch roots,\n"
            "each batch's TPM signature, and its anchor on the ledger (kind audit).\n"
            "Prints a summary and the first failing entry's seq. Exit status 0 when\n"
            "nothing is wrong (batches not signed or anchored yet are not), 1 when\n"
            "it is tampered with or cannot be checked, 2 on a usage error.",
            nullptr},
           {"report",
            "--config FILE --patient ID --from TIME --to TIME --out FILE.pdf\n"
            "[--organization NAME]",
            "The patient access report: a PDF for the patient listing every access\n"
            "to and transfer of their records recorded in the audit trail in\n"
            "[--from, --to) (a --to without a time includes that day): when, who,\n"
            "what, purpose, outcome, emergency access, and the last anchored batch\n"
            "that proves the list complete. Written 0600; it names the patient\n"
            "(PHI). Making it is audited first. --organization: the name printed\n"
            "on it. Uses the record key: with swtpm, stop gatewayd first.",
            nullptr},
       },
       "TIME is YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z or YYYY-MM-DDTHH:MM[:SS]+HH:MM\n"
       "(UTC if no zone)."},
      {"version", "", "Print gatewayctl's version (also --version).", ctl_version, {}, ""},
  };
}

// Appends `text` with every line indented by `indent` spaces.
void append_indented(std::string* out, std::string_view text, size_t indent) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    out->append(indent, ' ');
    out->append(text.substr(0, nl));
    out->push_back('\n');
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// "PREFIX NAME SYNOPSIS": a synopsis's further lines aligned under its first.
void append_synopsis(std::string* out, std::string_view prefix, std::string_view name,
                     std::string_view synopsis) {
  out->append(prefix);
  out->append(name);
  if (synopsis.empty()) {
    out->push_back('\n');
    return;
  }
  out->push_back(' ');
  const size_t nl = synopsis.find('\n');
  out->append(synopsis.substr(0, nl));
  out->push_back('\n');
  if (nl != std::string_view::npos)
    append_indented(out, synopsis.substr(nl + 1), prefix.size() + name.size() + 1);
}

const CtlCommand* find_command(std::string_view name) {
  for (const CtlCommand& c : ctl_commands())
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

const std::vector<CtlCommand>& ctl_commands() {
  static const std::vector<CtlCommand> table = make_table();
  return table;
}

std::string ctl_help() {
  std::string out = "usage: gatewayctl <command> [options]\n\ncommands:\n";
  for (const CtlCommand& c : ctl_commands()) {
    if (c.verbs.empty()) {
      append_synopsis(&out, "  ", c.name, c.synopsis);
      append_indented(&out, c.help, 6);
    }
    for (const CtlVerb& v : c.verbs) {
      append_synopsis(&out, "  ", std::string(c.name) + " " + std::string(v.name), v.synopsis);
      append_indented(&out, v.help, 6);
    }
    append_indented(&out, c.notes, 6);
  }
  out += "  help, --help, -h\n      This text.\n";
  return out;
}

std::string ctl_usage(std::string_view command) {
  const CtlCommand* c = find_command(command);
  if (c == nullptr) return ctl_help();
  std::string out;
  auto line = [&](std::string_view verb, std::string_view synopsis) {
    append_synopsis(&out, out.empty() ? "usage: gatewayctl " : "       gatewayctl ",
                    std::string(c->name) + (verb.empty() ? "" : " ") + std::string(verb), synopsis);
  };
  if (c->verbs.empty()) line("", c->synopsis);
  for (const CtlVerb& v : c->verbs) line(v.name, v.synopsis);
  if (!c->notes.empty()) {
    out += c->notes;
    out += '\n';
  }
  return out;
}

int run_gatewayctl(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(ctl_help().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string name = args[0] == "--version" ? "version" : args[0];
  args.erase(args.begin());
  const CtlCommand* c = find_command(name);
  if (c == nullptr) {
    std::fprintf(stderr, "gatewayctl: unknown command '%s'\n\n%s", name.c_str(),
                 ctl_help().c_str());
    return 2;
  }
  // A verb not in the table goes to the command's handler, which answers with
  // its usage.
  if (!args.empty()) {
    for (const CtlVerb& v : c->verbs)
      if (v.name == args[0] && v.handler != nullptr) return v.handler(args);
  }
  return c->handler(args);
}

}  // namespace gw::cli
