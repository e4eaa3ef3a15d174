// The consortium view's SQLite file (<state_dir>/ledger/consortium_view.sqlite):
// the ViewState's rows and the cursor (last block applied and its hash), for
// one deployment and one account. A delta and the cursor it reaches are
// written in one transaction, so after a crash the file holds exactly the
// blocks up to its cursor.
//
// Single-threaded: the ConsortiumView's follower owns it (start-up loads it
// before the follower runs).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>

#include "gateway/base/status.h"
#include "gateway/consortium/view_state.h"

namespace gw::consortium {

// What the file was built from. Opening it for another deployment or account
// starts it over (the rows would be another consortium's, or miss this
// account's transfers).
struct ViewIdentity {
  uint64_t chain_id = 0;
  ViewScope scope;
  uint64_t deployment_block = 0;
  friend bool operator==(const ViewIdentity& a, const ViewIdentity& b) {
    return a.chain_id == b.chain_id && a.scope.registry == b.scope.registry &&
           a.scope.consents == b.scope.consents && a.scope.transfer_log == b.scope.transfer_log &&
           a.scope.self == b.scope.self && a.deployment_block == b.deployment_block;
  }
};

struct ViewCursor {
  bool started = false;  // false: nothing applied yet (next block: the deployment block)
  uint64_t block = 0;    // last block applied
  Hash256 hash{};        // its hash, to notice a chain that no longer has it
};

class ViewStore {
 public:
  // Opens or creates the file (mode 0600). A file of another deployment or
  // account is emptied (`*reset` says so); a file of a newer schema, or not
  // a view file, is an error.
  static Result<std::unique_ptr<ViewStore>> open(const std::string& path,
                                                 const ViewIdentity& identity, bool* reset);
  ~ViewStore();
  ViewStore(const ViewStore&) = delete;
  ViewStore& operator=(const ViewStore&) = delete;

  Status load(ViewState& state, ViewCursor& cursor);
  // Writes `delta` and moves the cursor in one transaction.
  Status commit(const ViewDelta& delta, const ViewCursor& cursor);
  // Deletes every row and the cursor (the chain was reset).
  Status clear();

 private:
  explicit ViewStore(sqlite3* db) : db_(db) {}
  Status exec(const char* sql, const char* context);
  Status write_rows(const ViewDelta& delta, const ViewCursor& cursor);
  sqlite3* db_;
};

}  // namespace gw::consortium
