// A small blocking HTTP/1.1 client for tests of authd's HTTP API (Boost.Beast's parser on the
// client side too), and a raw socket for the tests that send what no client library would
// (huge headers, half a request, idle connections). 127.0.0.1 only. Thread-compatible.
#ifndef AUTHD_TESTS_SUPPORT_HTTP_CLIENT_H_
#define AUTHD_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <openssl/ssl.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace authd::test_support {

struct HttpReply {
  int status = 0;
  // Header fields in order, names as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first field called `name` (case-insensitive), or "".
  std::string Header(const std::string& name) const;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// HTTPS: the server's certificate must be signed by `ca_file` and name 127.0.0.1; with
// `cert_file` and `key_file`, the client presents that certificate.
struct HttpsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Session resumption: when `save_session` is set, it gets the resumable session the server
  // issued (a TLS 1.3 ticket; free it with SSL_SESSION_free; null if none came); when
  // `resume_session` is set, the handshake offers it, and `*session_reused` says whether the
  // server resumed it.
  SSL_SESSION** save_session = nullptr;
  SSL_SESSION* resume_session = nullptr;
  bool* session_reused = nullptr;
};

// One request on a new connection to 127.0.0.1:`port`; fails on a socket error, a TLS error or
// a timeout. HTTPS when `tls` is given.
absl::StatusOr<HttpReply> HttpCall(int port, const std::string& method, const std::string& target,
                                   const HttpHeaders& headers = {}, const std::string& body = "",
                                   absl::Duration timeout = absl::Seconds(30),
                                   const HttpsOptions* tls = nullptr);

// A raw TCP connection to 127.0.0.1:`port`.
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Writes all of `bytes`; false on an error (the server closed, say).
  bool Send(const std::string& bytes);
  // Reads until the server closes the connection or `timeout` passes; what arrived. `*closed`
  // says whether the server closed it.
  std::string ReadUntilClosed(absl::Duration timeout, bool* closed);
  // Reads until what arrived holds `needle` (e.g. the blank line that ends an answer's header),
  // the server closes, or `timeout` passes; what arrived.
  std::string ReadUntil(const std::string& needle, absl::Duration timeout);

 private:
  // Reads until `needle` arrived (when given), the server closed, or `timeout` passed.
  std::string Read(absl::Duration timeout, const std::string* needle, bool* closed);

  int fd_ = -1;
};

}  // namespace authd::test_support

#endif  // AUTHD_TESTS_SUPPORT_HTTP_CLIENT_H_
