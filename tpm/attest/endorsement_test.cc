// test-needs: swtpm
// The endorsement key against swtpm: deterministic, the TCG template (the
// same public area tpm2_createek makes), and certificates read from NV.
#include "tpm/attest/endorsement.h"

#include "tpm/attest/attest_test_util.h"

namespace gw::tpm::testing {
namespace {

constexpr uint32_t kRsaCertIndex = 0x01c00002;
constexpr uint32_t kEccCertIndex = 0x01c0000a;

class EndorsementTest : public ProvisionedTpmTest {
 protected:
  // What a manufacturer does: defines the EK certificate index under the
  // platform hierarchy (TCG EK Credential Profile attributes) and writes the
  // DER certificate, followed by `padding` zero bytes as in a fixed-size
  // index.
  void provision_certificate(uint32_t index, const std::vector<uint8_t>& der, size_t padding) {
    internal::TpmState& s = internal::state(*tpm_);
    std::lock_guard<std::mutex> lock(s.mu);
    TPM2B_AUTH auth{};
    TPM2B_NV_PUBLIC info{};
    info.nvPublic.nvIndex = index;
    info.nvPublic.nameAlg = TPM2_ALG_SHA256;
    info.nvPublic.attributes = TPMA_NV_PPWRITE | TPMA_NV_PPREAD | TPMA_NV_OWNERREAD |
                               TPMA_NV_AUTHREAD | TPMA_NV_NO_DA | TPMA_NV_PLATFORMCREATE;
    info.nvPublic.dataSize = static_cast<UINT16>(der.size() + padding);
    ESYS_TR nv = ESYS_TR_NONE;
    ASSERT_EQ(Esys_NV_DefineSpace(s.esys, ESYS_TR_RH_PLATFORM, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  ESYS_TR_NONE, &auth, &info, &nv),
              TSS2_RC_SUCCESS);
    std::vector<uint8_t> data = der;
    data.resize(der.size() + padding, 0);
    for (size_t offset = 0; offset < data.size(); offset += 512) {
      TPM2B_MAX_NV_BUFFER chunk{};
      chunk.size = static_cast<UINT16>(std::min<size_t>(512, data.size() - offset));
      std::copy_n(data.begin() + offset, chunk.size, chunk.buffer);
      ASSERT_EQ(Esys_NV_Write(s.esys, ESYS_TR_RH_PLATFORM, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                              ESYS_TR_NONE, &chunk, static_cast<UINT16>(offset)),
                TSS2_RC_SUCCESS);
    }
    Esys_TR_Close(s.esys, &nv);
  }

  // A test "manufacturer CA" (ca.pem) and a DER certificate it issues for
  // the public key in `subject_pem`, made with the openssl CLI.
  std::vector<uint8_t> issue_certificate(const std::string& subject_pem, bool rsa_ca) {
    const std::string d = dir_.path();
    write_bytes(d + "/subject.pem", bytes_of(subject_pem));
    std::string out;
    EXPECT_EQ(
        run(std::string("openssl req -x509 -nodes -days 1 -subj '/CN=Test TPM CA' ") +
                (rsa_ca ? "-newkey rsa:2048" : "-newkey ec -pkeyopt ec_paramgen_curve:P-256") +
                " -keyout " + d + "/ca.key -out " + d + "/ca.pem",
            &out),
        0)
        << out;
    EXPECT_EQ(run("openssl req -new -key " + d + "/ca.key -subj /CN=ek | openssl x509 -req -CA " +
                      d + "/ca.pem -CAkey " + d + "/ca.key -set_serial 7 -days 1 -force_pubkey " +
                      d + "/subject.pem -outform DER -out " + d + "/issued.der",
                  &out),
              0)
        << out;
    return read_bytes(d + "/issued.der");
  }

  // `openssl verify` of a DER certificate file against ca.pem.
  int openssl_verify(const std::string& der_path, std::string* out) {
    const std::string pem = dir_.path() + "/verify.pem";
    return run("openssl x509 -inform DER -in " + der_path + " -out " + pem + " && openssl verify " +
                   "-CAfile " + dir_.path() + "/ca.pem " + pem,
               out);
  }
};

TEST_F(EndorsementTest, SameKeyEveryTimeAndItsName) {
  auto a = endorsement_key(*tpm_);
  ASSERT_TRUE(a) << a.status().message();
  auto b = endorsement_key(*tpm_);
  ASSERT_TRUE(b) << b.status().message();
  EXPECT_EQ(a->algorithm, "ecc-p256");
  EXPECT_EQ(a->public_pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u) << a->public_pem;
  EXPECT_EQ(a->public_pem, b->public_pem);
  EXPECT_EQ(a->public_area, b->public_area);
  EXPECT_EQ(a->name, b->name);
  EXPECT_TRUE(a->certificate.empty());  // swtpm has no EK certificate

  // name = nameAlg (SHA-256) || SHA-256(TPMT_PUBLIC), computed by OpenSSL
  // over the public area without its TPM2B size prefix.
  ASSERT_GT(a->public_area.size(), 2u);
  EXPECT_EQ(a->public_area[0] << 8 | a->public_area[1], a->public_area.size() - 2);
  const auto h = sha256(std::span<const uint8_t>(a->public_area).subspan(2));
  std::vector<uint8_t> name{0x00, 0x0b};
  name.insert(name.end(), h.begin(), h.end());
  EXPECT_EQ(a->name, name);

  auto rsa = endorsement_key(*tpm_, EkAlgorithm::kRsa);
  ASSERT_TRUE(rsa) << rsa.status().message();
  EXPECT_EQ(rsa->algorithm, "rsa-2048");
  EXPECT_NE(rsa->public_pem, a->public_pem);
  expect_no_tpm_handles(*tpm_);
}

// tpm2_createek builds the EK from the same TCG templates: the public areas
// must be identical, byte for byte.
TEST_F(EndorsementTest, SamePublicAreaAsTpm2Createek) {
  ASSERT_TRUE(tool_installed("tpm2_createek"));
  auto ecc = endorsement_key(*tpm_, EkAlgorithm::kEcc);
  auto rsa = endorsement_key(*tpm_, EkAlgorithm::kRsa);
  ASSERT_TRUE(ecc && rsa) << rsa.status().message();
  tpm_.reset();  // swtpm serves one connection at a time
  const std::string d = dir_.path(), tcti = " -T " + swtpm_->tcti();
  for (const char* alg : {"ecc", "rsa"}) {
    std::string out;
    ASSERT_EQ(run(std::string("tpm2_createek") + tcti + " -G " + alg + " -c " + d + "/ek-" + alg +
                      ".ctx -u " + d + "/ek-" + alg + ".pub && tpm2_flushcontext -t" + tcti,
                  &out),
              0)
        << out;
  }
  EXPECT_EQ(read_bytes(d + "/ek-ecc.pub"), ecc->public_area);
  EXPECT_EQ(read_bytes(d + "/ek-rsa.pub"), rsa->public_area);
}

TEST_F(EndorsementTest, EccCertificateFromNvVerifiesAgainstTheCa) {
  ASSERT_TRUE(tool_installed("openssl"));
  auto ek = endorsement_key(*tpm_);
  ASSERT_TRUE(ek) << ek.status().message();
  const std::vector<uint8_t> der = issue_certificate(ek->public_pem, /*rsa_ca=*/false);
  ASSERT_FALSE(der.empty());
  provision_certificate(kEccCertIndex, der, 300);  // padded index: trimmed

  auto with_cert = endorsement_key(*tpm_);
  ASSERT_TRUE(with_cert) << with_cert.status().message();
  EXPECT_EQ(with_cert->algorithm, "ecc-p256");
  EXPECT_EQ(with_cert->certificate, der);
  EXPECT_EQ(with_cert->public_area, ek->public_area);

  const std::string out_dir = dir_.path() + "/ek";
  auto r = write_endorsement_files(*with_cert, out_dir);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(read_bytes(out_dir + "/ek.pub"), ek->public_area);
  EXPECT_EQ(read_bytes(out_dir + "/ek.name"), ek->name);
  std::string out;
  EXPECT_EQ(openssl_verify(out_dir + "/ek.cert.der", &out), 0) << out;
  EXPECT_NE(out.find("OK"), std::string::npos) << out;
  // The README has the verifier take the EK public key from the certificate
  // itself: it is the one the appliance reports.
  out.clear();
  ASSERT_EQ(run("openssl x509 -inform DER -in " + out_dir + "/ek.cert.der -pubkey -noout", &out), 0)
      << out;
  EXPECT_EQ(out, ek->public_pem);
  expect_no_tpm_handles(*tpm_);
}

// Only an RSA EK certificate provisioned (older TPMs): kAuto takes the RSA EK,
// the one the manufacturer certified. The certificate (over 512 bytes) is
// read in several NV reads.
TEST_F(EndorsementTest, OnlyAnRsaCertificateSelectsTheRsaEk) {
  ASSERT_TRUE(tool_installed("openssl"));
  auto rsa = endorsement_key(*tpm_, EkAlgorithm::kRsa);
  ASSERT_TRUE(rsa) << rsa.status().message();
  const std::vector<uint8_t> der = issue_certificate(rsa->public_pem, /*rsa_ca=*/true);
  ASSERT_GT(der.size(), 512u);
  provision_certificate(kRsaCertIndex, der, 0);

  auto ek = endorsement_key(*tpm_);
  ASSERT_TRUE(ek) << ek.status().message();
  EXPECT_EQ(ek->algorithm, "rsa-2048");
  EXPECT_EQ(ek->certificate, der);
  EXPECT_EQ(ek->public_area, rsa->public_area);
  // kEcc still gives the (uncertified) ECC EK.
  auto ecc = endorsement_key(*tpm_, EkAlgorithm::kEcc);
  ASSERT_TRUE(ecc) << ecc.status().message();
  EXPECT_EQ(ecc->algorithm, "ecc-p256");
  EXPECT_TRUE(ecc->certificate.empty());
  expect_no_tpm_handles(*tpm_);
}

TEST_F(EndorsementTest, CertificateForAnotherKeyIsRefused) {
  ASSERT_TRUE(tool_installed("openssl"));
  auto other = tpm_->create_signing_key(Tpm::SigningKind::kGeneral);
  ASSERT_TRUE(other) << other.status().message();
  auto other_pem = tpm_->public_key_pem(*other);
  ASSERT_TRUE(other_pem) << other_pem.status().message();
  provision_certificate(kEccCertIndex, issue_certificate(*other_pem, false), 0);
  auto r2 = endorsement_key(*tpm_);
  EXPECT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("is for another key"), std::string::npos)
      << r2.status().message();
  expect_no_tpm_handles(*tpm_);
}

}  // namespace
}  // namespace gw::tpm::testing
