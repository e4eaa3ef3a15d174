// Replay refusal for client assertions (RFC 7523 §3 item 7, SMART Backend
// Services): a jti accepted once from a client is refused again until the
// assertion that carried it can no longer be accepted (its exp + leeway,
// ClientAssertion::replay_window_end_s).
//
// Durable: one small SQLite file (the integrator's choice of path; suggested
// <state_dir>/auth/jti.sqlite), WAL, synchronous = FULL. FULL because a
// record() that returned before its row reached the disk could be lost with
// the power, and the captured assertion replayed after the restart; token
// requests are rare (one per client per few minutes), so an fsync each costs
// nothing that matters.
//
// Bounded: a client's expired rows are pruned in the same transaction as each
// record(); prune() clears every client's (call it now and then). A client
// may hold at most Options::max_rows_per_client live rows; past that,
// record() refuses (resource-exhausted) rather than let a flood of distinct
// assertions from one (authenticated, but misbehaving or stolen) key fill the
// disk. Only verified clients reach record(), so the client count is bounded
// by the configuration.
//
// Thread-safe: one connection, guarded by a mutex (mu_ in the .cc's Impl).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "gateway/base/status.h"

namespace gw::auth {

class JtiStore {
 public:
  struct Options {
    // At 1 assertion per second, 5 minutes of lifetime + 1 of leeway is 360.
    size_t max_rows_per_client = 10'000;
  };

  // Opens or creates `file` (mode 0600; its folder must exist).
  static Result<std::unique_ptr<JtiStore>> open(const std::filesystem::path& file,
                                                const Options& options);
  static Result<std::unique_ptr<JtiStore>> open(const std::filesystem::path& file) {
    return open(file, Options{});
  }
  ~JtiStore();
  JtiStore(const JtiStore&) = delete;
  JtiStore& operator=(const JtiStore&) = delete;

  // Remembers (client_id, jti) until `keep_until_s`. Errors:
  //   unauthenticated     the pair was seen and its window has not ended (a replay)
  //   resource-exhausted  the client holds max_rows_per_client live rows
  //   invalid-argument    empty client id or jti, or keep_until_s <= now_s
  //   unavailable/...     SQLite (see gw::sqlite::error_status)
  // Nothing is recorded unless it returns ok.
  Status record(std::string_view client_id, std::string_view jti, int64_t keep_until_s,
                int64_t now_s);

  // Deletes every row whose window ended at or before now_s; returns how many.
  Result<int64_t> prune(int64_t now_s);

  // Live and expired rows of `client_id` (for tests and metrics).
  Result<int64_t> rows(std::string_view client_id);

 private:
  struct Impl;
  JtiStore() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::auth
