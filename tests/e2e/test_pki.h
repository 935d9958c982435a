// MakeTestPki: a throwaway PKI for TLS tests, made with the openssl CLI: a CA (`ca.pem`), a server
// certificate for IP 127.0.0.1 (`server.pem`/`server.key`) and a client certificate
// (`client.pem`/`client.key`) it signed, and a self-signed client of another CA
// (`stranger.pem`/`stranger.key`). testonly.
#ifndef AUTHD_TESTS_E2E_TEST_PKI_H_
#define AUTHD_TESTS_E2E_TEST_PKI_H_

#include <string>

#include "absl/status/status.h"

namespace authd::e2e {

// Writes the files above into `dir`. Errors: kInternal with openssl's output.
absl::Status MakeTestPki(const std::string& dir);

// The contents of a file ("" when unreadable).
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace authd::e2e

#endif  // AUTHD_TESTS_E2E_TEST_PKI_H_
