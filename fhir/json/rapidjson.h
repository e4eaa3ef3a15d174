// RapidJSON for fhir/: every translation unit in this module that uses
// RapidJSON includes it through this header (ledger-client/rpc/rapidjson.h is
// the ledger client's twin; the modules do not include each other).
//
// RapidJSON 1.1.0's internal::Stack computes `nullptr + n` on its first push
// (Tencent/rapidjson#1724, fixed upstream after the release we build against):
// formally undefined, harmless in practice, and fatal under clang's UBSan. Turn
// off only that check, only for RapidJSON's functions. Its templates are
// instantiated in each translation unit and the linker keeps any one copy, so
// a copy compiled outside this region would bring the check back. <istream>
// comes first: RapidJSON's headers instantiate the stream templates, to which
// the attribute cannot be added once a caller has defined them (clang warns).
#pragma once

#include <istream>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif
