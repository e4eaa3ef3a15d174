// Groups stored record versions into batches and has the key store sign each
// batch's Merkle root: every `batch_records` records or every `interval`,
// whichever comes first. The key store (the TPM) is opened for each signature
// and closed again, so a slow TPM delays only batches, never acknowledgements,
// and operator tools can use the TPM in between. A failed signature is logged
// and retried at the next tick; the records stay pending (nothing is lost).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/base/status.h"
#include "gateway/keys/key_store.h"
#include "gateway/store/batches.h"

namespace gw::anchoring {

struct BatchSignerOptions {
  std::string db_path;
  keys::KeyStoreOptions keys;
  size_t batch_records = 1000;
  std::chrono::milliseconds interval{5000};
  // How often the pending count is checked against batch_records.
  std::chrono::milliseconds poll{200};
  // Called after the pending records are read and before they are signed:
  // MessageStore::wait_durable, so that no batch (and no ledger anchor) ever
  // covers a record a power failure could still take back. Empty: records
  // are signed as read (tools and tests with no store writer running).
  std::function<gw::Status()> wait_durable = nullptr;
};

class BatchSigner {
 public:
  // Opens the batch table of options.db_path; an error says why it cannot.
  static gw::Result<std::unique_ptr<BatchSigner>> create(const BatchSignerOptions& options);
  ~BatchSigner();  // stop()

  void start();
  // Signs what is pending one last time, then stops the thread.
  void stop();

  // Signs one batch of up to batch_records pending records now. Returns the
  // number of records batched (0: nothing pending), or why it could not
  // (unavailable: the store or the key store failed; the records stay pending).
  gw::Result<size_t> sign_pending();

  uint64_t batches_signed() const;

 private:
  BatchSigner(BatchSignerOptions options, std::unique_ptr<store::BatchStore> batches);
  void run();

  BatchSignerOptions options_;
  std::unique_ptr<store::BatchStore> batches_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  uint64_t signed_ = 0;  // guarded by mu_
};

}  // namespace gw::anchoring
