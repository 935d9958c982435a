// Wiping secrets (tokens, passwords) from memory that authd itself owns, once they are no longer
// needed, so that a later crash dump, core file or read of freed heap finds less. Best effort by
// nature: copies made by gRPC and protobuf (request and response messages, transport buffers) are
// outside authd's control and are freed without wiping (docs/security.md).
#ifndef AUTHD_BASE_SECRET_H_
#define AUTHD_BASE_SECRET_H_

#include <cstddef>
#include <string>

namespace authd {

// Overwrites `size` bytes at `data` in a way the compiler may not optimise away (OPENSSL_cleanse).
void WipeBytes(void* data, size_t size);

// Overwrites the whole buffer of `s` (its capacity, not only its size), then clears it.
void WipeString(std::string* s);

}  // namespace authd

#endif  // AUTHD_BASE_SECRET_H_
