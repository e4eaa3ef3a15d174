// The content fingerprint that tells a resend of a stored HL7 v2 message from
// another message reusing its key (sender + MSH-10): see message_store.h,
// "Duplicates".
//
// What it covers: every byte of the message except how segments are
// terminated. Each run of CR and LF bytes counts as one segment terminator,
// and runs at the start and the end count as nothing. Why: a sender's genuine
// resend is byte-identical in practice, but engines differ in what they put
// between segments (CR as HL7 says, CR LF from engines on Windows or from
// files, a trailing terminator or none) and one message can reach us through
// two engines (a failover pair) or before and after a change of interface
// engine. Our parser (adapters/hl7/er7_parser.cc) already reads every run of
// CR and LF as one terminator and skips empty lines, so two messages with the
// same fingerprint are the same message to everything behind the parser;
// a difference in any field, however small, is a different message.
#pragma once

#include <string>
#include <string_view>

#include "gateway/crypto/sha256.h"
#include "gateway/crypto/store_keys.h"

namespace gw::store {

// `raw` with its segment terminators normalized as described above: each run
// of '\r' and '\n' becomes one '\r', leading and trailing runs are dropped.
std::string normalize_segment_terminators(std::string_view raw);

// The keyed fingerprint (StoreKeys::content_digest) of the normalized message.
crypto::Sha256Digest message_fingerprint(const crypto::StoreKeys& keys, std::string_view raw);

}  // namespace gw::store
