// "No response before its entry is durable": a child process appends from 8
// threads and reports each seq the moment append() returns; the parent kills
// it with SIGKILL mid-stream. Every reported seq must be in the reopened log
// and the log must verify (no half-written group, no forked chain).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_test_util.h"
#include "gateway/audit/audit_verify.h"
#include "gateway/store/store_test_util.h"

namespace gw::audit {
namespace {

using store::testing::TempDir;

[[noreturn]] void child_appends(const std::string& path, std::shared_ptr<const AuditKeys> keys,
                                int out_fd) {
  AuditLogOptions options;
  options.batch_max_entries = 16;
  auto log = AuditLog::open(path, keys, options);
  if (!log.ok()) _exit(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        auto seq = (*log)->append(testing::sample_entry(t * 1'000'000 + i));
        if (!seq.ok()) _exit(3);
        const int64_t v = *seq;
        // 8 bytes are below PIPE_BUF: each report is written whole.
        if (::write(out_fd, &v, sizeof v) != sizeof v) _exit(4);
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(0);
}

TEST(AuditLogCrashTest, EveryReportedAppendSurvivesSigkill) {
  TempDir dir;
  const std::string path = dir.file("audit.db");
  auto keys = AuditKeys::random_for_tests();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    child_appends(path, keys, fds[1]);
  }
  ::close(fds[1]);
  std::vector<int64_t> reported;
  int64_t v = 0;
  while (reported.size() < 300 && ::read(fds[0], &v, sizeof v) == sizeof v) reported.push_back(v);
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself: " << WEXITSTATUS(status);
  // Reports written before the kill are still in the pipe.
  while (::read(fds[0], &v, sizeof v) == sizeof v) reported.push_back(v);
  ::close(fds[0]);
  ASSERT_GE(reported.size(), 300u);

  auto report = verify_audit_log(path, *keys);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->ok()) << fault_name(report->fault) << ": " << report->what;
  const int64_t max_reported = *std::max_element(reported.begin(), reported.end());
  EXPECT_GE(report->entries_checked, max_reported);  // seqs are contiguous from 1

  // And the log takes appends again after the crash, on the same chain.
  auto log = AuditLog::open(path, keys);
  ASSERT_TRUE(log.ok());
  auto seq = (*log)->append(testing::sample_entry(1));
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, report->entries_checked + 1);
  report = verify_audit_log(path, *keys);
  EXPECT_TRUE(report.ok() && report->ok());
}

}  // namespace
}  // namespace gw::audit
