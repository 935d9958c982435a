#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace authd::test_support {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

void SetTimeouts(int fd, absl::Duration timeout) {
  timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

}  // namespace

std::string HttpReply::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, name)) return v;
  }
  return "";
}

namespace {

template <class Stream>
absl::StatusOr<HttpReply> Exchange(Stream& stream, int port, const std::string& method,
                                   const std::string& target, const HttpHeaders& headers,
                                   const std::string& body) {
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, absl::StrCat("127.0.0.1:", port));
  for (const auto& [k, v] : headers) req.insert(k, v);
  req.body() = body;
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    req.prepare_payload();
  }
  beast::error_code ec;
  bhttp::write(stream, req, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 << 20);
  if (method == "HEAD") parser.skip(true);
  bhttp::read(stream, buffer, parser, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("read: ", ec.message()));
  HttpReply reply;
  const auto& msg = parser.get();
  reply.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg) {
    reply.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  reply.body = msg.body();
  return reply;
}

// TLS 1.3 hands out resumable sessions in NewSessionTicket messages after the handshake; OpenSSL
// reports them to this callback (SSL_get1_session may return one already spent).
thread_local SSL_SESSION** ticket_sink = nullptr;

int OnNewSession(SSL*, SSL_SESSION* session) {
  if (ticket_sink == nullptr) return 0;
  if (*ticket_sink != nullptr) SSL_SESSION_free(*ticket_sink);
  *ticket_sink = session;
  return 1;  // we keep the reference
}

}  // namespace

absl::StatusOr<HttpReply> HttpCall(int port, const std::string& method, const std::string& target,
                                   const HttpHeaders& headers, const std::string& body,
                                   absl::Duration timeout, const HttpsOptions* tls) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  beast::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)}, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("connect: ", ec.message()));
  SetTimeouts(socket.native_handle(), timeout);
  if (tls == nullptr) return Exchange(socket, port, method, target, headers, body);

  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(tls->ca_file, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("ca: ", ec.message()));
  if (!tls->cert_file.empty()) {
    ctx.use_certificate_chain_file(tls->cert_file, ec);
    if (!ec) ctx.use_private_key_file(tls->key_file, asio::ssl::context::pem, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("client certificate: ", ec.message()));
  }
  if (tls->save_session != nullptr) {
    *tls->save_session = nullptr;
    SSL_CTX_set_session_cache_mode(ctx.native_handle(),
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx.native_handle(), OnNewSession);
  }
  ticket_sink = tls->save_session;
  asio::ssl::stream<asio::ip::tcp::socket&> stream(socket, ctx);
  stream.set_verify_mode(asio::ssl::verify_peer);
  stream.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  if (tls->resume_session != nullptr) SSL_set_session(stream.native_handle(), tls->resume_session);
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    ticket_sink = nullptr;
    return absl::UnavailableError(absl::StrCat("tls handshake: ", ec.message()));
  }
  absl::StatusOr<HttpReply> reply = Exchange(stream, port, method, target, headers, body);
  if (tls->session_reused != nullptr) {
    *tls->session_reused = SSL_session_reused(stream.native_handle()) == 1;
  }
  // A close_notify: without it OpenSSL counts the connection as failed and marks its session
  // (the ticket we keep) not resumable. One call: send ours, do not wait for the server's.
  SSL_shutdown(stream.native_handle());
  ticket_sink = nullptr;
  return reply;
}

RawConnection::RawConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  SetTimeouts(fd_, absl::Seconds(10));
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RawConnection::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string RawConnection::ReadUntil(const std::string& needle, absl::Duration timeout) {
  bool closed = false;
  return Read(timeout, &needle, &closed);
}

std::string RawConnection::ReadUntilClosed(absl::Duration timeout, bool* closed) {
  return Read(timeout, nullptr, closed);
}

std::string RawConnection::Read(absl::Duration timeout, const std::string* needle, bool* closed) {
  std::string out;
  *closed = false;
  const absl::Time deadline = absl::Now() + timeout;
  char buf[4096];
  while (absl::Now() < deadline && (needle == nullptr || out.find(*needle) == std::string::npos)) {
    pollfd p{fd_, POLLIN, 0};
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (poll(&p, 1, ms < 1 ? 1 : ms) <= 0) continue;
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) {
      *closed = true;  // orderly close or reset
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace authd::test_support
