// RapidJSON for the ledger client and its tests. Every translation unit that
// uses RapidJSON must include it through this header: its templates are
// instantiated in each one, the linker keeps any one copy, and only copies
// compiled inside the attribute region below are free of the check.
//
// RapidJSON 1.1.0's internal::Stack computes `nullptr + n` on its first push
// (Tencent/rapidjson#1724): harmless, but fatal under clang's UBSan. Same
// workaround, and the same reasons, as fhir/json/rapidjson.h (the modules do
// not include each other).
#pragma once

#include <istream>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("pointer-overflow"))), apply_to = function)
#endif
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#if defined(__clang__)
#pragma clang attribute pop
#endif
