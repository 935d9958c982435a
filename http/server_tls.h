// The HTTP port's TLS context (Asio over OpenSSL), from the gRPC port's PEM files: TLS 1.2 or
// later, no renegotiation, a session id context (so resumed sessions work with client
// certificates), and with a client CA, a client certificate it signed is required and the CA's
// names are offered to clients. Owned by HttpServer.
#ifndef AUTHD_HTTP_SERVER_TLS_H_
#define AUTHD_HTTP_SERVER_TLS_H_

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "absl/status/statusor.h"

namespace authd::http {

// Errors: INVALID_ARGUMENT naming the flag and file that cannot be used.
absl::StatusOr<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const std::string& cert_file, const std::string& key_file, const std::string& client_ca_file);

}  // namespace authd::http

#endif  // AUTHD_HTTP_SERVER_TLS_H_
