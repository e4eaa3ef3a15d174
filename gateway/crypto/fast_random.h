// Random bytes for per-record salts and nonces, without a system call each.
//
// libsodium 1.0.18's randombytes_buf() asks the kernel (getrandom) on every
// call, about 1.3 µs here; a record costs two (commitment salt, envelope
// nonce). This is the construction of OpenBSD's arc4random and libsodium's
// own randombytes_buf_deterministic: a ChaCha20 keystream under a per-thread
// 256-bit key taken from the kernel, with a counter nonce, rekeyed from the
// kernel every 2^20 calls and after fork() (a child never repeats its
// parent's stream). Output is as unpredictable as the kernel's as long as the
// thread's key stays secret (it lives in locked memory, like the other keys).
#pragma once

#include <cstddef>

namespace gw::crypto {

// Fills buf with n random bytes (n <= 256 per call is the intended use; any
// n works). Thread-safe: each thread has its own generator.
void fast_random(void* buf, size_t n);

}  // namespace gw::crypto
