#include "gateway/anchoring/batch_signer.h"

#include "gateway/base/clock.h"
#include "gateway/crypto/merkle.h"
#include "gateway/log/log.h"

namespace gw::anchoring {

gw::Result<std::unique_ptr<BatchSigner>> BatchSigner::create(const BatchSignerOptions& options) {
  GW_ASSIGN_OR_RETURN(std::unique_ptr<store::BatchStore> batches,
                      store::BatchStore::open(options.db_path));
  return std::unique_ptr<BatchSigner>(new BatchSigner(options, std::move(batches)));
}

BatchSigner::BatchSigner(BatchSignerOptions options, std::unique_ptr<store::BatchStore> batches)
    : options_(std::move(options)), batches_(std::move(batches)) {}

BatchSigner::~BatchSigner() { stop(); }

void BatchSigner::start() {
  thread_ = std::thread([this] { run(); });
}

void BatchSigner::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t BatchSigner::batches_signed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signed_;
}

gw::Result<size_t> BatchSigner::sign_pending() {
  GW_ASSIGN_OR_RETURN(const store::PendingRecords pending,
                      batches_->pending(options_.batch_records));
  if (pending.seqs.empty()) return size_t{0};
  if (options_.wait_durable) GW_RETURN_IF_ERROR(options_.wait_durable());
  auto tree = crypto::MerkleTree::build(pending.commitments);
  if (!tree) return internal_error("cannot build the batch's Merkle tree");
  // The key store (the TPM) is open only while it signs, then released
  // until the next batch.
  auto signature = [&]() -> gw::Result<keys::BatchSignature> {
    GW_ASSIGN_OR_RETURN(std::unique_ptr<keys::KeyStore> key_store,
                        keys::open_key_store(options_.keys));
    return key_store->sign_batch_root(tree->root());
  }();
  GW_RETURN_IF_ERROR(signature);
  store::SignedBatch b;
  b.first_seq = pending.seqs.front();
  b.last_seq = pending.seqs.back();
  b.record_count = static_cast<int64_t>(pending.seqs.size());
  b.root = tree->root();
  b.signature = signature->der;
  b.signer = options_.keys.kind;
  b.created_at_ms = now_ms();
  GW_RETURN_IF_ERROR(batches_->record(&b));
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++signed_;
  }
  log::info("batch.signed", {{"batch", std::to_string(b.id)},
                             {"records", std::to_string(b.record_count)},
                             {"first_seq", std::to_string(b.first_seq)},
                             {"last_seq", std::to_string(b.last_seq)},
                             {"signer", b.signer}});
  return pending.seqs.size();
}

void BatchSigner::run() {
  auto last_signed = std::chrono::steady_clock::now();
  while (true) {
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, options_.poll, [this] { return stopping_; });
      stopping = stopping_;
    }
    const bool interval_due = std::chrono::steady_clock::now() - last_signed >= options_.interval;
    bool sign = stopping || interval_due;
    if (!sign) {
      auto n = batches_->pending_count();
      sign = n.ok() && *n >= static_cast<int64_t>(options_.batch_records);
    }
    if (sign) {
      // Drain: a backlog larger than one batch becomes several batches now.
      while (true) {
        auto n = sign_pending();
        if (!n.ok()) {
          log::warn("batch.sign_failed", {{"detail", n.error().message()}});
          break;
        }
        if (*n < options_.batch_records) break;
      }
      last_signed = std::chrono::steady_clock::now();
    }
    if (stopping) return;
  }
}

}  // namespace gw::anchoring
