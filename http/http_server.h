// HttpServer: authd's HTTP/1.1 listener for the InfluxDB-compatible API (docs/adr/0006-http-api.md).
// Boost.Beast, asynchronous: one I/O thread accepts, reads and writes every connection; handlers
// run on a fixed pool of worker threads behind a bounded queue, so a slow handler (an Argon2
// hash, an fsync) never stalls the other connections and a burst is refused (503), not queued
// without bound. Every limit is an option with its default below. Thread-safe; Shutdown (or the
// destructor) stops accepting, lets running handlers finish and closes every connection.
#ifndef AUTHD_HTTP_HTTP_SERVER_H_
#define AUTHD_HTTP_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/http_message.h"

namespace authd::http {

struct HttpServerOptions {
  // host:port; port 0 picks a free port (see HttpServer::port). Default: 127.0.0.1:8086.
  std::string listen = "127.0.0.1:8086";
  // Connections open at once; past it a new connection gets a 503 and is closed. Default: 256.
  int max_connections = 256;
  // Connections open at once from one client address (an IPv6 /64), and new ones it may open per
  // second (net/peer_table.h); past them, 503 at accept. A peer whose connection stalls
  // mid-request gets a strike: its accept budget is emptied for a moment.
  // Behind a proxy that hides client addresses every client is one peer: raise it there.
  // Default: 64.
  int max_connections_per_peer = 64;
  // Largest request header block (request line and fields); larger gets 431. Default: 16 KiB.
  int max_header_bytes = 16 << 10;
  // Largest request body; larger gets 413 `request too large`. Default: 1 MiB.
  int max_body_bytes = 1 << 20;
  // How long a connection may wait for the first byte of a request. Default: 60s.
  absl::Duration idle_timeout = absl::Seconds(60);
  // How long a client has, from a request's first byte, to send all of it; also the bound on
  // writing the response. Default: 10s.
  absl::Duration request_timeout = absl::Seconds(10);
  // Threads running handlers. Default: 4.
  int workers = 4;
  // Requests waiting for a worker; past it a request gets 503 `unavailable`. Default: 64.
  int max_queued_requests = 64;
  // TLS (HTTPS only when set): PEM certificate chain and key; with a client CA, every client must
  // present a certificate it signed. TLS 1.2 or later. Default: empty (plaintext).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
};

// Answers one request; called on a worker thread, never on the I/O thread.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Binds `options.listen` and starts serving with `handler`. Fails (INVALID_ARGUMENT or
  // UNAVAILABLE, naming the address or file) when the address is malformed or cannot be bound, or
  // a TLS file cannot be used.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           HttpHandler handler);
  ~HttpServer();

  // The bound port.
  int port() const;
  void Shutdown();

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace authd::http

#endif  // AUTHD_HTTP_HTTP_SERVER_H_
