// TlsContext: the server side of TLS for authd's HTTP/2 front, on OpenSSL 3: the certificate
// chain and key, TLS 1.2 or newer, ALPN "h2" (gRPC clients insist on it), and, for mutual TLS, a
// client CA whose certificates every client must present. gRPC sees only the decrypted bytes
// (its connections come from the front over a socketpair), so this is the only place TLS lives.
// Thread-safe after Create (OpenSSL's SSL_CTX is shared by the connections' SSL objects).
#ifndef AUTHD_NET_TLS_CONTEXT_H_
#define AUTHD_NET_TLS_CONTEXT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace authd::net {

struct TlsFiles {
  std::string cert_chain;  // PEM file: the server's certificate chain
  std::string private_key;  // PEM file
  std::string client_ca;   // PEM file; empty: clients need no certificate
};

class TlsContext {
 public:
  // Errors: kInvalidArgument naming the file and what OpenSSL said of it.
  static absl::StatusOr<std::unique_ptr<TlsContext>> Create(const TlsFiles& files);
  ~TlsContext();

  // A new server-side SSL for `fd` (non-blocking socket); the caller frees it with SSL_free.
  SSL* NewSession(int fd) const;

 private:
  TlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace authd::net

#endif  // AUTHD_NET_TLS_CONTEXT_H_
