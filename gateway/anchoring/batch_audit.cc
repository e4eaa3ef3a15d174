#include "gateway/anchoring/batch_audit.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>

#include "gateway/crypto/merkle.h"
#include "gateway/crypto/sha256.h"

namespace gw::anchoring {

using ledger::Hash256;

namespace {

Hash256 sha256_of(const unsigned char* der, int length) {
  const crypto::Sha256Digest d = crypto::sha256(
      std::string_view(reinterpret_cast<const char*>(der), static_cast<size_t>(length)));
  Hash256 h{};
  std::copy(d.begin(), d.end(), h.begin());
  return h;
}

std::shared_ptr<evp_pkey_st> read_public_key(const std::string& pem) {
  if (pem.size() > 64 * 1024) return nullptr;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return nullptr;
  return std::shared_ptr<evp_pkey_st>(key, EVP_PKEY_free);
}

}  // namespace

Result<Hash256> public_key_hash(const std::string& public_pem) {
  auto key = read_public_key(public_pem);
  if (!key) return invalid_argument_error("not a PEM public key");
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key.get(), &der);
  if (n <= 0) return invalid_argument_error("the public key cannot be DER-encoded");
  const Hash256 h = sha256_of(der, n);
  OPENSSL_free(der);
  return h;
}

Result<Hash256> certificate_fingerprint(const std::string& pem_path) {
  FILE* f = std::fopen(pem_path.c_str(), "r");
  if (f == nullptr) return invalid_argument_error(pem_path + ": cannot be read");
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return invalid_argument_error(pem_path + ": no PEM certificate in it");
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  X509_free(cert);
  if (n <= 0) return invalid_argument_error(pem_path + ": the certificate cannot be DER-encoded");
  const Hash256 h = sha256_of(der, n);
  OPENSSL_free(der);
  return h;
}

Result<BatchSignatureVerifier> BatchSignatureVerifier::from_pem(const std::string& public_pem) {
  auto key = read_public_key(public_pem);
  if (!key) return invalid_argument_error("the batch-signing public key is not a PEM public key");
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC)
    return invalid_argument_error("the batch-signing public key is not an EC key");
  return BatchSignatureVerifier(std::move(key));
}

bool BatchSignatureVerifier::verify(const Hash256& root, std::span<const uint8_t> der) const {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key_.get(), nullptr);
  const bool ok = ctx != nullptr && EVP_PKEY_verify_init(ctx) == 1 &&
                  EVP_PKEY_verify(ctx, der.data(), der.size(), root.data(), root.size()) == 1;
  EVP_PKEY_CTX_free(ctx);
  return ok;
}

std::vector<std::string> check_batch_records(const store::SignedBatch& b,
                                             const store::PendingRecords& records,
                                             const BatchSignatureVerifier& verifier) {
  std::vector<std::string> problems;
  const std::string range = std::to_string(b.first_seq) + "-" + std::to_string(b.last_seq);
  if (static_cast<int64_t>(records.seqs.size()) != b.record_count) {
    problems.push_back("the store holds " + std::to_string(records.seqs.size()) +
                       " record versions in seqs " + range + ", the batch counted " +
                       std::to_string(b.record_count));
  }
  auto tree = crypto::MerkleTree::build(records.commitments);
  if (!tree) {
    problems.push_back("no record versions left in seqs " + range);
  } else if (tree->root() != b.root) {
    problems.push_back("the commitments of records " + range + " hash to " +
                       ledger::to_hex_0x(tree->root()) + ", not to the batch's root " +
                       ledger::to_hex_0x(b.root));
  }
  if (!verifier.verify(b.root, b.signature))
    problems.push_back("its signature does not verify with the batch-signing key");
  return problems;
}

AnchorCheck check_batch_anchor(const store::SignedBatch& b, const ledger::Address& member,
                               const ChainAnchor& chain) {
  AnchorCheck out;
  if (chain.record.anchored_at == 0) {
    if (b.anchored_tx.empty()) return out;  // the outbox has not got to it yet
    out.state = AnchorState::kMismatch;
    out.problems.push_back("the store says transaction " + b.anchored_tx +
                           " anchored it, but the ledger holds no anchor of its root by this "
                           "member (was the chain reset or reorganised?)");
    return out;
  }
  out.state = AnchorState::kMismatch;
  const auto kind = static_cast<uint8_t>(ledger::consortium::AnchorKind::kRecordBatch);
  if (chain.record.kind != kind)
    out.problems.push_back("the ledger holds its root as kind " +
                           std::to_string(chain.record.kind) + ", not as a record batch");
  if (!chain.event) {
    out.problems.push_back("the Anchored event of block " +
                           std::to_string(chain.record.block_number) + " was not found");
    return out;
  }
  const auto& e = *chain.event;
  if (e.member != member || e.root != b.root)
    out.problems.push_back("the Anchored event found is for another member or root");
  if (e.first_seq != static_cast<uint64_t>(b.first_seq) ||
      e.last_seq != static_cast<uint64_t>(b.last_seq))
    out.problems.push_back("the ledger anchored it for records " + std::to_string(e.first_seq) +
                           "-" + std::to_string(e.last_seq) + ", the store says " +
                           std::to_string(b.first_seq) + "-" + std::to_string(b.last_seq));
  if (e.signature != b.signature)
    out.problems.push_back("the signature on the ledger differs from the store's");
  if (out.problems.empty()) out.state = AnchorState::kAnchored;
  return out;
}

}  // namespace gw::anchoring
