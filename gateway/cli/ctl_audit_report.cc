// gatewayctl audit report: the patient access report as a PDF.
//
//   audit report --config FILE --patient ID --from DATE --to DATE --out FILE.pdf
//                [--organization NAME]
//
// Finds Patient/ID in the store, every audit entry naming the patient's
// consortium tokens in [from, to) (a --to without a time of day includes
// that whole day), the last anchored batch of the audit log, and writes the
// PDF (gateway/auditreport) with mode 0600. The report is PHI (it names the
// patient): it goes to --out only; stdout and stderr name the patient by a
// short form of the id. Making it is itself audited (action export, actor
// operator) before the file is written: a report whose entry cannot be
// stored is not written.
//
// It uses the record key (through the key store): with swtpm, which serves
// one client at a time, stop gatewayd first.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_log.h"
#include "gateway/auditreport/access_report.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_options.h"

namespace gw::cli {
namespace {

constexpr int64_t kDayMs = 86'400'000;

int usage() {
  std::fputs(ctl_usage("audit").c_str(), stderr);
  return 2;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "gatewayctl audit report: %s\n", message.c_str());
  return 1;
}

// Writes `bytes` to `path` with mode 0600 (also when the file existed);
// removes what it wrote on failure.
Status write_private_file(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return unavailable_error(path + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0;
  for (size_t done = 0; ok && done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int err = errno;
  ok = ::close(fd) == 0 && ok;
  if (ok) return ok_status();
  ::unlink(path.c_str());
  return unavailable_error(path + ": " + std::strerror(err));
}

int report(const std::vector<std::string>& args) {
  std::string config_path, patient_id, out, organization = "this gateway";
  int64_t from_ms = 0, to_ms = 0;
  bool has_from = false, has_to = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (!has_value) return usage();
    const std::string& v = args[i + 1];
    if (args[i] == "--config") {
      config_path = v;
    } else if (args[i] == "--patient") {
      patient_id = v.starts_with("Patient/") ? v.substr(8) : v;
    } else if (args[i] == "--out") {
      out = v;
    } else if (args[i] == "--organization") {
      organization = v;
    } else if (args[i] == "--from" || args[i] == "--to") {
      int64_t ms = 0;
      if (!parse_time_arg(v, &ms)) {
        std::fprintf(stderr, "gatewayctl audit report: %s: not a time (%s)\n", args[i].c_str(),
                     "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z");
        return 2;
      }
      if (args[i] == "--from") {
        from_ms = ms;
        has_from = true;
      } else {
        // A bare date means the whole of that day.
        to_ms = v.size() == 10 ? ms + kDayMs : ms;
        has_to = true;
      }
    } else {
      std::fprintf(stderr, "gatewayctl audit report: unknown argument '%s'\n", args[i].c_str());
      return usage();
    }
    ++i;
  }
  if (config_path.empty() || patient_id.empty() || out.empty() || !has_from || !has_to) {
    std::fputs("gatewayctl audit report: --config, --patient, --from, --to and --out are needed\n",
               stderr);
    return usage();
  }
  if (to_ms <= from_ms) return fail("--to must be after --from");
  if (patient_id.size() > 64) return fail("--patient: not a FHIR id (more than 64 characters)");

  config::GatewayConfig cfg;
  keys::LoadedKeys loaded;
  auto store = open_store_for_ctl(config_path, &cfg, &loaded);
  if (!store) return 1;
  loaded.key_store.reset();  // the working keys are loaded; free the TPM for others
  const std::string audit_path = cfg.audit_path();
  if (!std::filesystem::exists(audit_path))
    return fail("no audit log at " + audit_path + " (has gatewayd run with this configuration?)");
  auto audit_keys =
      audit::AuditKeys::create(loaded.working.record_key, loaded.working.record_key_id);
  if (!audit_keys.ok()) return fail(audit_keys.error().message());
  auto log = audit::AuditLog::open(audit_path, *audit_keys);
  if (!log.ok()) return fail(log.error().message());

  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const auto token = auditreport::patient_report_token(*store, *loaded.store_keys, patient_id);
  const audit::Actor operator_actor{audit::ActorKind::kOperator, ""};
  auto record = [&](audit::OutcomeKind outcome, std::string_view reason) {
    return (*log)->append(auditreport::access_report_audit_entry(operator_actor, patient_id, token,
                                                                 outcome, 0, reason, now_ms));
  };

  auto pdf = auditreport::build_patient_access_report(*store, *loaded.store_keys, **log, patient_id,
                                                      from_ms, to_ms, {organization, now_ms});
  if (!pdf.ok()) {
    const StatusCode code = pdf.error().code();
    const bool refused = code == StatusCode::kNotFound || code == StatusCode::kFailedPrecondition ||
                         code == StatusCode::kResourceExhausted;
    const char* reason = code == StatusCode::kNotFound             ? "not-found"
                         : code == StatusCode::kFailedPrecondition ? "no-patient-token"
                         : code == StatusCode::kResourceExhausted  ? "too-many-entries"
                                                                   : "error";
    auto entry =
        record(refused ? audit::OutcomeKind::kRefused : audit::OutcomeKind::kFailed, reason);
    if (!entry.ok())
      std::fprintf(stderr, "gatewayctl audit report: %s\n", entry.error().message().c_str());
    return fail(pdf.error().message());
  }
  if (auto entry = record(audit::OutcomeKind::kSuccess, ""); !entry.ok())
    return fail("the report's audit entry could not be stored, so no report was written: " +
                entry.error().message());
  if (Status written = write_private_file(out, *pdf); !written.ok()) {
    (void)record(audit::OutcomeKind::kFailed, "write-failed");
    return fail(written.message());
  }
  std::printf("access report of Patient/%s written to %s (%zu bytes)\n",
              auditreport::short_patient_id(patient_id).c_str(), out.c_str(), pdf->size());
  return 0;
}

}  // namespace

int ctl_audit(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "report") return report(args);
  if (!args.empty() && args[0] == "verify") return ctl_audit_trail(args);
  return usage();
}

}  // namespace gw::cli
