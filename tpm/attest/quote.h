// TPM quotes: the TPM's signed statement of its PCR values, made with the
// attestation key (AK, Tpm::create_signing_key(kAttestation)) and bound to a
// verifier's nonce and this appliance's identity through the qualifying data.
//
// Every file this writes is in the format tpm2-tools 5.4 reads, so a security
// team checks a quote with nothing of ours:
//   tpm2_checkquote -u ak.pub -m quote.msg -s quote.sig -f quote.pcrs
//                   -g sha256 -q $(cat qualifying-data.hex)
// (tpm/README.md, "Attestation, for the security team", step by step).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tpm/core/key_blob.h"
#include "tpm/core/tpm.h"

namespace gw::tpm {

struct Quote {
  // TPMS_ATTEST as the TPM marshaled it (the contents of TPM2B_ATTEST, no
  // size prefix): what `tpm2_quote -m` writes and the signature covers.
  std::vector<uint8_t> message;
  // TPMT_SIGNATURE marshaled: what `tpm2_quote -s` writes ("tss" format).
  std::vector<uint8_t> signature;
  // Bank and PCRs quoted, PCR numbers ascending (quote() sorts them, because
  // the TPM digests PCRs in ascending order whatever order they were named in).
  PcrSelection selection;
  // The PCR values, in selection.pcrs order, read right after the quote and
  // checked against its pcrDigest.
  std::vector<std::vector<uint8_t>> pcr_values;
  // Exactly the bytes `tpm2_quote -o FILE` writes and `tpm2_checkquote -f
  // FILE` reads (tpm2-tools 5.4 "serialized" pcrs format, pcrs_file_bytes).
  std::vector<uint8_t> pcrs_file;
};

// Quotes the PCRs of `selection` (one bank, at least one PCR) with the AK,
// qualifying data = `qualifying_data` (at most 64 bytes; callers pass a
// SHA-256, see appliance_qualifying_data). A PCR may be extended between the
// quote and the reading of the values, so the values are checked against the
// quote's pcrDigest and the pair is taken again (up to 3 times) if they
// differ.
Result<Quote> quote(Tpm& tpm, const KeyBlob& ak, const PcrSelection& selection,
                    std::span<const uint8_t> qualifying_data);

// Checks a quote the way tpm2_checkquote does, plus what it leaves out:
// `signature` is a valid ECDSA signature by ak_public_pem (SubjectPublicKeyInfo
// PEM) over `message`; `message` is a TPM-generated quote (magic, type); its
// extraData equals qualifying_data; its PCR selection is `selection`; its
// pcrDigest is the hash of pcr_values; and pcrs_file, if not empty, holds the
// same selection and values. ok when all hold, else kInvalidArgument with the
// first reason it does not (for tests and the admin API's self-check;
// verifiers use tpm2_checkquote).
Status verify_quote(const Quote& q, const std::string& ak_public_pem,
                    std::span<const uint8_t> qualifying_data);

// The qualifying data that binds a quote to this appliance:
//   SHA-256(nonce || ledger_address (20 bytes) || tls_public_key_der)
// where the TLS key is the certificate's SubjectPublicKeyInfo in DER
// (`openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER`). A
// verifier recomputes it from its own nonce (16 bytes or more, fresh per
// request) and the appliance's published address and certificate.
std::array<uint8_t, 32> appliance_qualifying_data(std::span<const uint8_t> nonce,
                                                  std::span<const uint8_t, 20> ledger_address,
                                                  std::span<const uint8_t> tls_public_key_der);

// Writes into `dir` (created with its parents if missing; existing files are
// replaced): quote.msg, quote.sig, quote.pcrs; the AK's public parts: ak.pub
// (its TPM2B_PUBLIC, which `tpm2_checkquote -u` reads and whose hash is the
// name the verifier credentialed with tpm2_makecredential, so the key checked
// is the key certified), ak.pub.pem, ak.name (raw TPM name), ak.name.hex;
// qualifying-data.hex (lowercase hex, no newline); and ek.cert.der if
// ek_certificate is not empty (else an old one is removed). Only the AK
// blob's public area is used. A failure names the file.
Status write_quote_files(const Quote& q, const KeyBlob& ak,
                         std::span<const uint8_t> qualifying_data,
                         std::span<const uint8_t> ek_certificate, const std::string& dir);
// The same without ak.pub, from the AK's PEM and name: a verifier then has
// no public area to tie ak.pub.pem to the name it credentialed. Prefer the
// overload above.
Status write_quote_files(const Quote& q, const std::string& ak_public_pem,
                         std::span<const uint8_t> ak_name, std::span<const uint8_t> qualifying_data,
                         std::span<const uint8_t> ek_certificate, const std::string& dir);

// Reads quote.msg, quote.sig and quote.pcrs back from `dir` (e.g. files a
// verifier received) into a Quote whose selection and values come from
// quote.pcrs. The files are untrusted: malformed ones give kInvalidArgument.
Result<Quote> read_quote_files(const std::string& dir);

// tpm2-tools 5.4's "serialized" PCR file: TPML_PCR_SELECTION, a UINT32 count
// of TPML_DIGEST lists, then the lists (at most 8 digests each), every
// structure as the C struct of the tss2 headers with little-endian integers
// (tpm2-tools fwrite()s them; the layout is that of x86-64/aarch64 Linux).
// `values` in ascending PCR order, one per PCR of `selection` (checked by the
// caller; quote() does).
std::vector<uint8_t> pcrs_file_bytes(const PcrSelection& selection,
                                     const std::vector<std::vector<uint8_t>>& values);
// Parses that format (one bank). Untrusted input: kInvalidArgument if it is
// malformed, has more than one bank, or a digest of the wrong size.
Status parse_pcrs_file(std::span<const uint8_t> bytes, PcrSelection* selection,
                       std::vector<std::vector<uint8_t>>* values);

}  // namespace gw::tpm
