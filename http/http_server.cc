#include "http/http_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <openssl/ssl.h>

#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/log.h"
#include "http/influx_error.h"
#include "http/server_tls.h"
#include "http/worker_pool.h"
#include "net/peer_table.h"

namespace authd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::chrono::steady_clock::duration ToSteady(absl::Duration d) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(absl::ToChronoNanoseconds(d));
}

net::PeerLimits LimitsOf(const HttpServerOptions& o) {
  net::PeerLimits limits;
  limits.max_connections = o.max_connections;
  limits.max_connections_per_peer = o.max_connections_per_peer;
  return limits;
}

// The peer key (IPv4 address, IPv6 /64) of a connected socket's remote end.
std::string PeerKeyOf(const tcp::socket& socket) {
  boost::system::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  sockaddr_storage storage{};
  std::memcpy(&storage, remote.data(), std::min<size_t>(remote.size(), sizeof(storage)));
  return net::PeerKey(&storage);
}

// Sent, best effort, to a connection refused at accept.
constexpr char kBusy[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
    "X-Platform-Error-Code: unavailable\r\nConnection: close\r\nContent-Length: 66\r\n\r\n"
    "{\"code\":\"unavailable\",\"message\":\"too many connections, try again\"}";

}  // namespace

// What Shutdown needs of a connection, whatever its stream.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Closes the socket: pending operations end with operation_aborted. I/O thread only.
  virtual void Abort() = 0;
};

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        peers_(LimitsOf(options_)),
        acceptor_(io_),
        workers_(options_.workers, options_.max_queued_requests) {}

  ~Impl() { Shutdown(); }

  absl::Status ConfigureTls() {
    if (options_.tls_cert_file.empty()) return absl::OkStatus();
    absl::StatusOr<std::unique_ptr<asio::ssl::context>> tls = MakeServerTlsContext(
        options_.tls_cert_file, options_.tls_key_file, options_.tls_client_ca_file);
    if (!tls.ok()) return tls.status();
    tls_ = std::move(*tls);
    return absl::OkStatus();
  }

  absl::Status Bind() {
    const size_t colon = options_.listen.rfind(':');
    int port = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(options_.listen.substr(colon + 1), &port) ||
        port < 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("--http-listen: want host:port, got \"", options_.listen, "\""));
    }
    std::string host = options_.listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    boost::system::error_code ec;
    const asio::ip::address address = asio::ip::make_address(host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("--http-listen: \"", host, "\" is not an IP address"));
    }
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("--http-listen: cannot listen on ", options_.listen, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return absl::OkStatus();
  }

  void Run() {
    Accept();
    io_thread_ = std::thread([this] { io_.run(); });
  }

  int port() const { return port_; }

  // Stops accepting and closes every connection (on the I/O thread, waited for), lets running
  // handlers finish (their answers are dropped), then stops the I/O thread.
  void Shutdown() {
    if (shut_down_.exchange(true)) return;
    if (io_thread_.joinable()) {
      std::promise<void> closed;
      std::future<void> done = closed.get_future();
      asio::post(io_, [this, &closed] {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        accept_retry_.cancel();
        for (const std::weak_ptr<ConnectionBase>& w : live_) {
          if (std::shared_ptr<ConnectionBase> c = w.lock()) c->Abort();
        }
        live_.clear();
        closed.set_value();
      });
      done.wait_for(std::chrono::seconds(5));
    }
    workers_.Shutdown();  // running handlers finish; queued ones are dropped
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
  }

  const HttpServerOptions& options() const { return options_; }
  const HttpHandler& handler() const { return handler_; }
  WorkerPool& workers() { return workers_; }
  // Admits a new connection from `peer_key` (net::PeerKey), or says why not.
  net::AdmitVerdict Admit(const std::string& peer_key) {
    std::lock_guard<std::mutex> lock(peers_mu_);
    const int64_t now = absl::GetCurrentTimeNanos();
    if (now >= next_sweep_ns_) {
      peers_.Sweep(now);
      next_sweep_ns_ = now + 250'000'000;
    }
    return peers_.Admit(peer_key, now).verdict;
  }
  void Release(const std::string& peer_key) {
    std::lock_guard<std::mutex> lock(peers_mu_);
    peers_.Release(peer_key);
  }
  // A connection from `peer_key` stalled mid-request (slow loris): its accept budget is emptied,
  // so its next connections are refused for a moment (net/peer_table.h). Malformed or oversized
  // requests are answered (400, 413, 431) without a strike: honest clients make those too, and
  // they hold nothing.
  void Strike(const std::string& peer_key) {
    std::lock_guard<std::mutex> lock(peers_mu_);
    peers_.Strike(peer_key, absl::GetCurrentTimeNanos());
  }

 private:
  void Accept();

  // Declared so that they outlive what refers to them: connections (owned by io_'s pending
  // handlers and by queued worker tasks) release themselves from peers_ when destroyed.
  const HttpServerOptions options_;
  const HttpHandler handler_;
  std::mutex peers_mu_;
  net::PeerTable peers_;  // guarded by peers_mu_
  int64_t next_sweep_ns_ = 0;  // guarded by peers_mu_
  std::atomic<bool> shut_down_{false};
  int port_ = 0;
  std::unique_ptr<asio::ssl::context> tls_;  // null: plaintext
  // Open connections, to close them at Shutdown. Touched on the I/O thread only.
  std::vector<std::weak_ptr<ConnectionBase>> live_;
  asio::io_context io_{1};
  tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_{io_};
  WorkerPool workers_;
  std::thread io_thread_;
};

namespace {

// One client connection: (TLS handshake,) read a request (idle wait, then the whole request under
// one deadline), hand it to a worker, write the answer, repeat while keep-alive. One request at a
// time. `Stream` is beast::tcp_stream, or beast::ssl_stream over one.
template <class Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  // `peer_key` was admitted by the server's PeerTable; the destructor releases it.
  template <typename... TlsContext>
  Connection(tcp::socket socket, HttpServer::Impl* server, std::string peer_key,
             TlsContext&... tls)
      : stream_(std::move(socket), tls...), server_(server), peer_key_(std::move(peer_key)) {
    boost::system::error_code ec;
    const tcp::endpoint remote = tcp().socket().remote_endpoint(ec);
    if (!ec) peer_ = absl::StrCat(remote.address().to_string(), ":", remote.port());
  }
  ~Connection() override { server_->Release(peer_key_); }

  void Abort() override { Close(); }

  void Start() {
    if constexpr (kTls) {
      // The handshake has the whole-request deadline: a client that stalls in it holds nothing.
      tcp().expires_after(ToSteady(options().request_timeout));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec == beast::error::timeout) self->server_->Strike(self->peer_key_);
                                if (ec) return self->Close();
                                self->WaitForRequest();
                              });
    } else {
      WaitForRequest();
    }
  }

 private:
  const HttpServerOptions& options() const { return server_->options(); }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  // An idle connection costs a socket and this small buffer until its first byte or the timeout.
  void WaitForRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(options().max_body_bytes));
    if (buffer_.size() > 0) return ReadRequest();  // a pipelined request's bytes already arrived
    tcp().expires_after(ToSteady(options().idle_timeout));
    stream_.async_read_some(
        buffer_.prepare(1024),
        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
          if (ec) return self->Close();
          self->buffer_.commit(n);
          self->ReadRequest();
        });
  }

  // The header first: a client that sent `Expect: 100-continue` waits for our go-ahead before
  // the body (curl does for large bodies), and one whose header is already too big or whose
  // Content-Length is over the limit is refused before it sends the body at all.
  void ReadRequest() {
    tcp().expires_after(ToSteady(options().request_timeout));
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec || self->parser_->is_done()) return self->OnRead(ec);
          const auto& header = self->parser_->get();
          if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
            return self->SendContinue();
          }
          self->ReadBody();
        });
  }

  void SendContinue() {
    auto interim = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
    bhttp::async_write(stream_, *interim,
                       [self = this->shared_from_this(), interim](beast::error_code ec, std::size_t) {
                         if (ec) return self->Close();
                         self->ReadBody();
                       });
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->OnRead(ec);
                      });
  }

  void OnRead(beast::error_code ec) {
    if (ec == beast::error::timeout) {
      server_->Strike(peer_key_);  // began a request and did not finish it in time
      return Close();
    }
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec == bhttp::error::header_limit) {
      return Refuse(ErrorResponse(431, kCodeTooLarge, "request header fields too large"));
    }
    if (ec == bhttp::error::body_limit) {
      return Refuse(ErrorResponse(413, kCodeTooLarge, absl::StrCat("request body larger than ",
                                                                   options().max_body_bytes,
                                                                   " bytes")));
    }
    if (ec) return Refuse(ErrorResponse(400, kCodeInvalid, "malformed HTTP request"));

    bhttp::request<bhttp::string_body> msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    head_ = msg.method() == bhttp::verb::head;
    HttpRequest request;
    request.method = std::string(msg.method_string());
    if (!ParseTarget(std::string(msg.target()), &request.path, &request.query)) {
      return Refuse(ErrorResponse(400, kCodeInvalid, "malformed request target"));
    }
    for (const auto& field : msg) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(msg.body());
    request.peer = peer_;
    // The I/O thread waits for no handler: a worker answers and posts the write back here.
    tcp().expires_never();
    auto self = this->shared_from_this();
    const bool queued = server_->workers().Submit([self, request = std::move(request)] {
      HttpResponse response = self->server_->handler()(request);
      asio::post(self->stream_.get_executor(),
                 [self, response = std::move(response)]() mutable {
                   self->Write(std::move(response));
                 });
    });
    if (!queued) {
      Write(ErrorResponse(503, kCodeUnavailable, "too many requests in progress, try again")
                .With("Retry-After", "1"));
    }
  }

  // An answer after which the connection closes (the request could not be read to its end).
  void Refuse(HttpResponse response) {
    keep_alive_ = false;
    head_ = false;
    Write(std::move(response));
  }

  void Write(HttpResponse response) {
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>();
    msg->version(11);
    msg->result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) msg->insert(name, value);
    msg->set(bhttp::field::server, "authd");
    msg->set("X-Content-Type-Options", "nosniff");
    msg->set(bhttp::field::cache_control, "no-store");
    msg->keep_alive(keep_alive_);
    if (response.status == 204 || response.status == 304) {
      // No body and no Content-Length (RFC 9110 8.6).
    } else if (head_) {
      // The length GET would send, and no body (RFC 9110 9.3.2).
      msg->content_length(response.body.size());
    } else {
      msg->body() = std::move(response.body);
      msg->prepare_payload();
    }
    tcp().expires_after(ToSteady(options().request_timeout));
    bhttp::async_write(stream_, *msg,
                       [self = this->shared_from_this(), msg](beast::error_code ec, std::size_t) {
                         if (ec) return self->Close();
                         if (!self->keep_alive_) return self->LingeringClose();
                         self->WaitForRequest();
                       });
  }

  // After the last answer: stop sending, then read and discard what the client is still sending
  // (the rest of a refused body) for a bounded time and amount, so that closing does not reset
  // the connection before the client has read the answer.
  void LingeringClose() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp().expires_after(std::chrono::seconds(1));
    Drain(0);
  }

  void Drain(std::size_t drained) {
    constexpr std::size_t kMaxDrain = 4 << 20;
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(64 << 10),
                            [self = this->shared_from_this(), drained](beast::error_code ec, std::size_t n) {
                              if (ec || drained + n >= kMaxDrain) return self->Close();
                              self->Drain(drained + n);
                            });
  }

  // Without a TLS close_notify under TLS: every answer is framed by its length, so a truncation
  // cannot pass for a whole answer, and waiting for the peer's close_notify could hold the socket.
  void Close() {
    if constexpr (kTls) {
      // Closed cleanly as far as OpenSSL is concerned, so the session stays resumable (else it
      // is dropped from the server's session cache as if the connection had failed).
      SSL_set_shutdown(stream_.native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  Stream stream_;
  HttpServer::Impl* const server_;
  const std::string peer_key_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = true;
  bool head_ = false;  // the request being answered is a HEAD
  std::string peer_;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      std::string peer_key = PeerKeyOf(socket);
      if (Admit(peer_key) != net::AdmitVerdict::kAdmitted) {
        beast::error_code ignored;
        if (tls_ == nullptr) {  // a TLS client could not read a plaintext answer
          socket.non_blocking(true, ignored);
          socket.write_some(asio::buffer(kBusy, sizeof(kBusy) - 1), ignored);
        }
        socket.close(ignored);
      } else {
        // Once constructed, the connection owns the admitted slot (its destructor releases it).
        bool owned = false;
        try {
          std::shared_ptr<ConnectionBase> c;
          if (tls_ != nullptr) {
            auto tls = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
                std::move(socket), this, peer_key, *tls_);
            owned = true;
            tls->Start();
            c = std::move(tls);
          } else {
            auto plain = std::make_shared<Connection<beast::tcp_stream>>(std::move(socket), this,
                                                                         peer_key);
            owned = true;
            plain->Start();
            c = std::move(plain);
          }
          // Forget the closed ones as new ones come, so the list stays as long as the open set.
          live_.erase(std::remove_if(live_.begin(), live_.end(),
                                     [](const std::weak_ptr<ConnectionBase>& w) { return w.expired(); }),
                      live_.end());
          live_.push_back(c);
        } catch (const std::exception& e) {
          // SSL_new or an allocation failed.
          if (!owned) Release(peer_key);
          LogWarning(absl::StrCat("http: could not set up a connection: ", e.what()));
        }
      }
    } else {
      // Out of descriptors, say: accepting again at once would spin. Wait a little.
      LogWarning(absl::StrCat("http: accept failed: ", ec.message()));
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](beast::error_code) { Accept(); });
      return;
    }
    Accept();
  });
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              HttpHandler handler) {
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler));
  if (absl::Status s = impl->ConfigureTls(); !s.ok()) return s;
  if (absl::Status s = impl->Bind(); !s.ok()) return s;
  impl->Run();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;
int HttpServer::port() const { return impl_->port(); }
void HttpServer::Shutdown() { impl_->Shutdown(); }

}  // namespace authd::http
