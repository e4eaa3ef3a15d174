// test-needs: swtpm
// The X25519 payload keys of both key stores (TPM on swtpm, and the
// development software store): provisioning creates generation 1, loading
// derives every generation's public key from its private key, crypto_box
// payloads sealed to a public key open with the loaded private key, rotation
// keeps older generations usable, provisioning again changes nothing, and a
// missing or damaged generation stops loading with the file named.
#include <gtest/gtest.h>
#include <sodium.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/keys/key_files.h"
#include "gateway/keys/key_store.h"
#include "gateway/keys/payload_key_files.h"
#include "tpm/testing/swtpm_process.h"

namespace gw::keys {
namespace {

using tpm::testing::SwtpmProcess;
using tpm::testing::TempDir;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A crypto_box payload from a fresh sender to `recipient`.
struct Sealed {
  std::array<uint8_t, crypto_box_PUBLICKEYBYTES> sender_public{};
  std::array<uint8_t, crypto_box_NONCEBYTES> nonce{};
  std::vector<uint8_t> box;
};

Sealed seal_to(const PayloadPublicKeyBytes& recipient, const std::string& message) {
  Sealed s;
  std::array<uint8_t, crypto_box_SECRETKEYBYTES> sender_secret{};
  crypto_box_keypair(s.sender_public.data(), sender_secret.data());
  randombytes_buf(s.nonce.data(), s.nonce.size());
  s.box.resize(message.size() + crypto_box_MACBYTES);
  EXPECT_EQ(crypto_box_easy(s.box.data(), reinterpret_cast<const uint8_t*>(message.data()),
                            message.size(), s.nonce.data(), recipient.data(), sender_secret.data()),
            0);
  return s;
}

// The message, or "" when the box does not open with `key`.
std::string open_with(const PayloadKey& key, const Sealed& s) {
  std::string out(s.box.size() - crypto_box_MACBYTES, '\0');
  if (crypto_box_open_easy(reinterpret_cast<uint8_t*>(out.data()), s.box.data(), s.box.size(),
                           s.nonce.data(), s.sender_public.data(), key.private_key.data()) != 0)
    return "";
  return out;
}

class PayloadKeysTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::init_sodium());
    if (GetParam() == "tpm") {
      auto started = SwtpmProcess::start(dir_.path() + "/swtpm");
      ASSERT_TRUE(started.ok()) << started.error().message();
      swtpm_ = std::move(*started);
    }
  }
  bool tpm() const { return GetParam() == "tpm"; }
  std::string keys_dir() const { return dir_.path() + "/state/keys"; }
  std::string generation_file(uint32_t g) const {
    return keys_dir() + (tpm() ? "/payload-key-" : "/software-payload-key-") + std::to_string(g) +
           (tpm() ? ".blob" : ".bin");
  }

  // A fresh store object each time, as gatewayctl and gatewayd would open it
  // (swtpm serves one client: the previous one must be gone).
  std::unique_ptr<KeyStore> open() {
    KeyStoreOptions o;
    o.kind = GetParam();
    o.state_dir = dir_.path() + "/state";
    o.consortium_id = "test";
    if (swtpm_) o.tcti = swtpm_->tcti();
    auto store = open_key_store(o);
    EXPECT_TRUE(store.ok()) << store.error().message();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  ProvisionReport provision() {
    auto store = open();
    if (!store) return {};
    auto report = store->provision();
    EXPECT_TRUE(report.ok()) << report.error().message();
    if (!report.ok()) return {};
    std::array<uint8_t, 32> consortium{};
    consortium.fill(0x5a);
    Status imported = store->import_consortium_key(consortium, /*replace=*/true);
    EXPECT_TRUE(imported.ok()) << imported.message();
    return *report;
  }

  Result<WorkingKeys> load() {
    auto store = open();
    if (!store) return internal_error("no store");
    return store->load_working_keys();
  }

  PayloadPublicKey rotate() {
    auto store = open();
    if (!store) return {};
    auto rotated = store->rotate_payload_key();
    EXPECT_TRUE(rotated.ok()) << rotated.error().message();
    return rotated.ok() ? *rotated : PayloadPublicKey{};
  }

  std::map<std::string, std::string> key_files() const {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(keys_dir()))
      out[e.path().filename().string()] = read_all(e.path().string());
    return out;
  }

  TempDir dir_;
  std::unique_ptr<SwtpmProcess> swtpm_;
};

TEST_P(PayloadKeysTest, ProvisionCreatesGenerationOneAndLoadingDerivesItsPublicKey) {
  const ProvisionReport report = provision();
  EXPECT_EQ(report.payload_key.generation, 1u);
  bool reported = false;
  for (const auto& line : report.lines)
    reported |= line.starts_with("payload key 1 (X25519): created");
  EXPECT_TRUE(reported) << ::testing::PrintToString(report.lines);
  ASSERT_TRUE(std::filesystem::exists(generation_file(1)));
  EXPECT_EQ(std::filesystem::status(generation_file(1)).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  auto keys = load();
  ASSERT_TRUE(keys.ok()) << keys.error().message();
  ASSERT_EQ(keys->payload_keys.size(), 1u);
  const PayloadKey* current = keys->payload_keys.current();
  ASSERT_NE(current, nullptr);
  EXPECT_EQ(current->generation, 1u);
  ASSERT_EQ(current->private_key.size(), 32u);
  EXPECT_TRUE(current->private_key.read_only());
  PayloadPublicKeyBytes derived{};
  ASSERT_EQ(crypto_scalarmult_base(derived.data(), current->private_key.data()), 0);
  EXPECT_EQ(current->public_key, derived);
  EXPECT_EQ(report.payload_key.public_key, derived);
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto published = store->payload_public_key();
  ASSERT_TRUE(published.ok()) << published.error().message();
  EXPECT_EQ(published->generation, 1u);
  EXPECT_EQ(published->public_key, derived);
  if (tpm()) {
    // Sealed: the private key is nowhere in the state directory in the clear.
    const std::string secret(reinterpret_cast<const char*>(current->private_key.data()), 32);
    for (const auto& [name, content] : key_files())
      EXPECT_EQ(content.find(secret), std::string::npos) << name;
  }
}

TEST_P(PayloadKeysTest, APayloadSealedToThePublicKeyOpensWithTheLoadedPrivateKey) {
  const ProvisionReport report = provision();
  const Sealed sealed = seal_to(report.payload_key.public_key, "a transfer payload");
  auto keys = load();
  ASSERT_TRUE(keys.ok()) << keys.error().message();
  const PayloadKey* key = keys->payload_keys.find(report.payload_key.public_key);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(open_with(*key, sealed), "a transfer payload");
  // Sealed to some other key: no generation of ours matches, nor opens it.
  std::array<uint8_t, 32> other_public{}, other_secret{};
  crypto_box_keypair(other_public.data(), other_secret.data());
  EXPECT_EQ(keys->payload_keys.find(other_public), nullptr);
  EXPECT_EQ(open_with(*key, seal_to(other_public, "not for us")), "");
}

TEST_P(PayloadKeysTest, RotationMakesANewCurrentKeyAndKeepsTheOldOneUsable) {
  const ProvisionReport report = provision();
  const Sealed to_first = seal_to(report.payload_key.public_key, "recorded before rotation");
  const PayloadPublicKey second = rotate();
  EXPECT_EQ(second.generation, 2u);
  EXPECT_NE(second.public_key, report.payload_key.public_key);
  EXPECT_TRUE(std::filesystem::exists(generation_file(2)));
  const Sealed to_second = seal_to(second.public_key, "recorded after the rekey");

  auto keys = load();
  ASSERT_TRUE(keys.ok()) << keys.error().message();
  ASSERT_EQ(keys->payload_keys.size(), 2u);
  EXPECT_EQ(keys->payload_keys.current()->generation, 2u);
  EXPECT_EQ(keys->payload_keys.current()->public_key, second.public_key);
  for (const PayloadKey& k : keys->payload_keys.generations()) {
    PayloadPublicKeyBytes derived{};
    ASSERT_EQ(crypto_scalarmult_base(derived.data(), k.private_key.data()), 0);
    EXPECT_EQ(k.public_key, derived) << "generation " << k.generation;
  }
  const PayloadKey* first = keys->payload_keys.find(report.payload_key.public_key);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->generation, 1u);
  EXPECT_EQ(open_with(*first, to_first), "recorded before rotation");
  const PayloadKey* newer = keys->payload_keys.find(second.public_key);
  ASSERT_NE(newer, nullptr);
  EXPECT_EQ(open_with(*newer, to_second), "recorded after the rekey");
  EXPECT_EQ(open_with(*newer, to_first), "") << "each payload opens only with its own key";

  auto store = open();
  ASSERT_NE(store, nullptr);
  auto published = store->payload_public_key();
  ASSERT_TRUE(published.ok()) << published.error().message();
  EXPECT_EQ(published->generation, 2u);
  EXPECT_EQ(published->public_key, second.public_key);
}

TEST_P(PayloadKeysTest, ProvisioningAgainChangesNothing) {
  const ProvisionReport first = provision();
  rotate();
  const auto before = key_files();
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto again = store->provision();
  ASSERT_TRUE(again.ok()) << again.error().message();
  store.reset();
  EXPECT_EQ(key_files(), before);
  EXPECT_EQ(again->payload_key.generation, 2u) << "the rotated key stays current";
  bool said = false;
  for (const auto& line : again->lines) said |= line.starts_with("payload key 2 (X25519): exists");
  EXPECT_TRUE(said) << ::testing::PrintToString(again->lines);
}

TEST_P(PayloadKeysTest, AMissingOrDamagedGenerationStopsLoadingAndNamesTheFile) {
  provision();
  rotate();
  rotate();
  ASSERT_TRUE(load().ok());
  const std::string second = generation_file(2), third = generation_file(3);
  const std::string saved_second = read_all(second), saved_third = read_all(third);

  // A generation in the middle is gone.
  std::filesystem::remove(second);
  auto loaded = load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message().find(second), std::string::npos) << loaded.error().message();
  // Provisioning does not paper over it with a new key.
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    EXPECT_FALSE(store->provision().ok());
    EXPECT_FALSE(store->rotate_payload_key().ok());
  }
  EXPECT_FALSE(std::filesystem::exists(second));
  std::ofstream(second, std::ios::binary) << saved_second;

  // The newest one is gone: the high-water mark says there were three.
  std::filesystem::remove(third);
  loaded = load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message().find(third), std::string::npos) << loaded.error().message();
  std::ofstream(third, std::ios::binary) << saved_third;
  ASSERT_TRUE(load().ok());

  // A damaged one.
  std::ofstream(second, std::ios::binary | std::ios::trunc) << "not a key";
  loaded = load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message().find(tpm() ? "payload-key-2.blob" : second), std::string::npos)
      << loaded.error().message();
  std::ofstream(second, std::ios::binary | std::ios::trunc) << saved_second;
  ASSERT_TRUE(load().ok());

  // A stray file that looks like a generation but is not one.
  std::ofstream(keys_dir() + (tpm() ? "/payload-key-04.blob" : "/software-payload-key-04.bin"))
      << "x";
  loaded = load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message().find("-04."), std::string::npos) << loaded.error().message();
}

TEST_P(PayloadKeysTest, RotationBeforeProvisioningIsRefused) {
  std::filesystem::create_directories(keys_dir());
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto rotated = store->rotate_payload_key();
  ASSERT_FALSE(rotated.ok());
  EXPECT_NE(rotated.error().message().find("gatewayctl tpm provision"), std::string::npos)
      << rotated.error().message();
  EXPECT_FALSE(std::filesystem::exists(generation_file(1)));
}

INSTANTIATE_TEST_SUITE_P(BothStores, PayloadKeysTest, ::testing::Values("tpm", "software"),
                         [](const auto& info) { return info.param; });

TEST(PayloadKeyFilesTest, AnExistingGenerationIsNeverReplaced) {
  TempDir dir;
  PayloadKeyFiles files(dir.path(), "payload-key-", ".blob");
  const std::vector<uint8_t> first(32, 1), second(32, 2);
  ASSERT_TRUE(files.create(1, first).ok());
  Status again = files.create(1, second);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.message();
  EXPECT_EQ(read_all(files.path(1)), std::string(32, '\1'));
  EXPECT_EQ(files.newest_generation().value_or(0), 1u);
  // No temporary left behind.
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++n;
  EXPECT_EQ(n, 2u) << "the generation and its mark";
}

TEST(PayloadKeyRingTest, GenerationsMustComeInOrder) {
  ASSERT_TRUE(crypto::init_sodium());
  std::array<uint8_t, 32> secret{};
  randombytes_buf(secret.data(), secret.size());
  PayloadKeyRing ring;
  EXPECT_EQ(ring.current(), nullptr);
  auto second = payload_key_from_private(2, secret);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(ring.add(std::move(*second)).ok()) << "generation 1 is missing";
  auto first = payload_key_from_private(1, secret);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(ring.add(std::move(*first)).ok());
  EXPECT_EQ(ring.current()->generation, 1u);
}

}  // namespace
}  // namespace gw::keys
