#include "net/h2_front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/log.h"

namespace authd::net {
namespace {

constexpr size_t kReadChunk = 64 << 10;
// Reads per side and pump: a busy connection yields to the others after this many.
constexpr int kReadsPerPump = 4;
constexpr int kAcceptsPerEvent = 64;
constexpr int64_t kSweepNs = 250'000'000;
constexpr int64_t kDrainNs = 1'000'000'000;
constexpr int64_t kAcceptPauseNs = 100'000'000;
constexpr int kCommandStopAccepting = 1;
constexpr int kCommandStop = 2;
// epoll data: (connection id << 2) | side.
constexpr uint64_t kListenTag = 1;
constexpr uint64_t kWakeTag = 2;
constexpr uint64_t kClientSide = 0;
constexpr uint64_t kServerSide = 1;
// What an event says is ready, for Pump: only those sides are read or written, so a request
// costs one read and one write per hop, not a round of EAGAINs.
constexpr uint32_t kClientReadable = 1;
constexpr uint32_t kClientWritable = 2;
constexpr uint32_t kServerReadable = 4;
constexpr uint32_t kServerWritable = 8;
constexpr uint32_t kAllReady = 15;

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

enum class Io { kOk, kAgain, kEof, kError };

absl::StatusOr<int> BindListener(const std::string& listen, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("--listen: want host:port, got ", listen));
  }
  std::string host = listen.substr(0, colon);
  std::string service = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port_number = 0;
  if (!absl::SimpleAtoi(service, &port_number) || port_number < 0 || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--listen: bad port in ", listen));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen: cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0) break;  // listen() comes at Start
    last_error = std::strerror(errno);
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen, ": ", last_error));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  *port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return fd;
}

}  // namespace

struct H2Front::Conn {
  Conn(uint64_t id_in, int fd, const H2Limits& limits, int64_t now, int penalty)
      : id(id_in), cfd(fd), policer(limits, now, penalty), accepted_ns(now) {}

  uint64_t id;
  int cfd;
  int sfd = -1;  // our end of the socketpair to gRPC, once handed off
  SSL* ssl = nullptr;
  bool tls_done = true;
  bool tls_wants_write = false;  // the last TLS call needs the socket writable
  std::string peer_key, peer_uri;
  H2Policer policer;
  std::string in_hold;  // client bytes the policer has not consumed yet (a partial frame)
  std::string in_out;   // consumed client bytes gRPC has not taken yet
  std::string out;      // gRPC's bytes the client has not taken yet
  int64_t accepted_ns;
  int64_t write_wait_since = 0;  // when `out` last became non-empty or last drained a little
  bool handed_off = false;   // gRPC has (or had) this connection: never hand it over twice
  bool server_hup = false;   // gRPC hung up: read what it left regardless of the cap, then EOF
  bool server_eof = false;   // gRPC's end is read to EOF and closed
  bool draining = false;
  bool wr_shut = false;
  int64_t drain_deadline = 0;
  bool dead = false;
  uint32_t c_events = 0, s_events = 0;
};

absl::StatusOr<std::unique_ptr<H2Front>> H2Front::Create(const FrontOptions& options) {
  std::unique_ptr<H2Front> f(new H2Front());
  f->options_ = options;
  f->peer_table_ = PeerTable(options.peers);
  f->log_budget_ = TokenBucket(RateLimit{20, 5}, MonotonicNs());
  if (!options.tls.cert_chain.empty()) {
    auto tls = TlsContext::Create(options.tls);
    if (!tls.ok()) return tls.status();
    f->tls_ = std::move(*tls);
  }
  auto fd = BindListener(options.listen, &f->port_);
  if (!fd.ok()) return fd.status();
  f->listen_fd_ = *fd;
  f->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  f->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (f->epoll_fd_ < 0 || f->wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("epoll/eventfd: ", std::strerror(errno)));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  epoll_ctl(f->epoll_fd_, EPOLL_CTL_ADD, f->listen_fd_, &ev);
  ev.data.u64 = kWakeTag;
  epoll_ctl(f->epoll_fd_, EPOLL_CTL_ADD, f->wake_fd_, &ev);
  return f;
}

H2Front::~H2Front() {
  Shutdown();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

absl::Status H2Front::Start(Handoff handoff) {
  handoff_ = std::move(handoff);
  // bind() with SO_REUSEADDR lets a second socket bind a port nobody listens on yet: a port in
  // use shows here.
  if (listen(listen_fd_, SOMAXCONN) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen, ": ", std::strerror(errno)));
  }
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void H2Front::RunCommand(int command) {
  if (!started_ || !thread_.joinable()) return;
  MutexLock lock(&command_mu_);
  command_ = command;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  while (done_ < command) command_cv_.Wait(&command_mu_);
}

void H2Front::StopAccepting() { RunCommand(kCommandStopAccepting); }

void H2Front::Shutdown() {
  if (!thread_.joinable()) return;
  RunCommand(kCommandStop);
  thread_.join();
}

std::string H2Front::PeerOf(absl::string_view grpc_peer) const {
  int fd = -1;
  if (absl::ConsumePrefix(&grpc_peer, "fd:") && absl::SimpleAtoi(grpc_peer, &fd)) {
    ReaderMutexLock lock(&peers_mu_);
    auto it = peer_of_fd_.find(fd);
    if (it != peer_of_fd_.end()) return it->second;
    return absl::StrCat("fd:", fd);
  }
  return std::string(grpc_peer);
}

FrontStats H2Front::stats() const {
  FrontStats s;
  s.accepted = accepted_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  s.handed_off = handed_off_.load(std::memory_order_relaxed);
  s.closed_for_violation = violations_.load(std::memory_order_relaxed);
  s.handshake_timeouts = handshake_timeouts_.load(std::memory_order_relaxed);
  s.write_stalls = write_stalls_.load(std::memory_order_relaxed);
  s.open = open_.load(std::memory_order_relaxed);
  return s;
}

void H2Front::Loop() {
  std::vector<epoll_event> events(256);
  int command_seen = 0;
  while (true) {
    int64_t now = MonotonicNs();
    int timeout_ms =
        repump_.empty()
            ? static_cast<int>(std::max<int64_t>(0, (next_sweep_ - now + 999'999) / 1'000'000))
            : 0;
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    now = MonotonicNs();
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kListenTag) {
        Accept(now);
        continue;
      }
      if (tag == kWakeTag) {
        uint64_t v;
        (void)!read(wake_fd_, &v, sizeof(v));
        continue;
      }
      auto it = conns_.find(tag >> 2);
      if (it == conns_.end() || it->second->dead) continue;
      Conn& c = *it->second;
      uint32_t e = events[i].events;
      if ((tag & 3) == kClientSide && (e & (EPOLLHUP | EPOLLERR))) {
        Close(c);  // the client is gone both ways
        continue;
      }
      if ((tag & 3) == kServerSide && (e & (EPOLLHUP | EPOLLERR))) c.server_hup = true;
      uint32_t ready = 0;
      if ((tag & 3) == kClientSide) {
        if (e & EPOLLIN) ready |= kClientReadable;
        if (e & EPOLLOUT) ready |= kClientWritable;
        // A TLS record read may need a write and the other way round: try both.
        if (c.ssl != nullptr) ready |= kClientReadable | kClientWritable;
      } else {
        if (e & (EPOLLIN | EPOLLHUP)) ready |= kServerReadable;
        if (e & EPOLLOUT) ready |= kServerWritable;
      }
      Pump(c, now, ready);
    }
    // TLS connections whose decrypted bytes OpenSSL holds (no epoll event will come for them).
    std::vector<uint64_t> repump;
    repump.swap(repump_);
    for (uint64_t id : repump) {
      auto it = conns_.find(id);
      if (it != conns_.end() && !it->second->dead) {
        Pump(*it->second, now, kClientReadable | kClientWritable);
      }
    }
    if (now >= next_sweep_) {
      Sweep(now);
      next_sweep_ = now + kSweepNs;
    }
    for (uint64_t id : dead_) conns_.erase(id);
    dead_.clear();
    int command;
    {
      MutexLock lock(&command_mu_);
      command = command_;
    }
    if (command > command_seen) {
      if (command >= kCommandStopAccepting && accepting_) {
        accepting_ = false;
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        close(listen_fd_);
        listen_fd_ = -1;
        for (auto& [id, c] : conns_) {
          if (!c->handed_off) Close(*c);
        }
      }
      if (command >= kCommandStop) {
        for (auto& [id, c] : conns_) Close(*c);
        conns_.clear();
        dead_.clear();
      }
      command_seen = command;
      MutexLock lock(&command_mu_);
      done_ = command;
      command_cv_.SignalAll();
      if (command >= kCommandStop) return;
    }
  }
}

void H2Front::Accept(int64_t now) {
  for (int i = 0; i < kAcceptsPerEvent && listen_fd_ >= 0; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop accepting for a moment rather than spin on the listener.
        refused_.fetch_add(1, std::memory_order_relaxed);
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        accept_paused_until_ = now + kAcceptPauseNs;
        if (log_budget_.Take(now)) LogWarning("front: out of file descriptors; pausing accept");
        return;
      }
      continue;  // ECONNABORTED and friends: that client is gone
    }
    std::string key = PeerKey(&addr);
    PeerTable::Admission a = peer_table_.Admit(key, now);
    if (a.verdict != AdmitVerdict::kAdmitted) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      close(fd);
      if (log_budget_.Take(now)) {
        LogWarning(absl::StrCat("front: refused a connection from ", key, ": ",
                                AdmitVerdictName(a.verdict)));
      }
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (options_.socket_send_buffer_bytes > 0) {
      int bytes = options_.socket_send_buffer_bytes;
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
    }
    uint64_t id = next_id_++;
    auto c = std::make_unique<Conn>(id, fd, options_.h2, now, a.penalty_shift);
    c->peer_key = std::move(key);
    c->peer_uri = PeerUri(&addr);
    if (tls_ != nullptr) {
      c->ssl = tls_->NewSession(fd);
      c->tls_done = false;
      if (c->ssl == nullptr) {
        peer_table_.Release(c->peer_key);
        close(fd);
        refused_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = (id << 2) | kClientSide;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    c->c_events = EPOLLIN;
    accepted_.fetch_add(1, std::memory_order_relaxed);
    open_.fetch_add(1, std::memory_order_relaxed);
    conns_.emplace(id, std::move(c));
  }
}

namespace {

Io ReadSome(int fd, SSL* ssl, uint8_t* buf, size_t cap, size_t* got, bool* wants_write) {
  *got = 0;
  if (ssl == nullptr) {
    ssize_t r = read(fd, buf, cap);
    if (r > 0) {
      *got = static_cast<size_t>(r);
      return Io::kOk;
    }
    if (r == 0) return Io::kEof;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? Io::kAgain : Io::kError;
  }
  int r = SSL_read_ex(ssl, buf, cap, got);
  if (r == 1) return Io::kOk;
  int err = SSL_get_error(ssl, r);
  ERR_clear_error();
  if (err == SSL_ERROR_WANT_READ) return Io::kAgain;
  if (err == SSL_ERROR_WANT_WRITE) {
    *wants_write = true;
    return Io::kAgain;
  }
  return err == SSL_ERROR_ZERO_RETURN ? Io::kEof : Io::kError;
}

Io WriteSome(int fd, SSL* ssl, const char* buf, size_t len, size_t* put, bool* wants_write) {
  *put = 0;
  if (ssl == nullptr) {
    ssize_t r = send(fd, buf, len, MSG_NOSIGNAL);
    if (r >= 0) {
      *put = static_cast<size_t>(r);
      return Io::kOk;
    }
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? Io::kAgain : Io::kError;
  }
  int r = SSL_write_ex(ssl, buf, len, put);
  if (r == 1) return Io::kOk;
  int err = SSL_get_error(ssl, r);
  ERR_clear_error();
  if (err == SSL_ERROR_WANT_WRITE) {
    *wants_write = true;
    return Io::kAgain;
  }
  return err == SSL_ERROR_WANT_READ ? Io::kAgain : Io::kError;
}

// Writes as much of `pending` (then `more`) to a plaintext fd as it takes; keeps the rest in
// `pending`. Returns false on a broken socket.
bool WriteOrKeep(int fd, std::string* pending, const uint8_t* more, size_t n) {
  if (pending->empty() && n > 0) {
    ssize_t r = send(fd, more, n, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      r = 0;
    }
    pending->append(reinterpret_cast<const char*>(more) + r, n - static_cast<size_t>(r));
    return true;
  }
  pending->append(reinterpret_cast<const char*>(more), n);
  return true;
}

}  // namespace

void H2Front::Pump(Conn& c, int64_t now, uint32_t ready) {
  if (c.dead) return;
  if (!c.tls_done) {
    int r = SSL_do_handshake(c.ssl);
    if (r == 1) {
      c.tls_done = true;
      c.tls_wants_write = false;
      ready = kAllReady;  // application data may have come with the last handshake flight
    } else {
      int err = SSL_get_error(c.ssl, r);
      ERR_clear_error();
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        c.tls_wants_write = err == SSL_ERROR_WANT_WRITE;
        UpdateInterest(c);
      } else {
        if (log_budget_.Take(now)) {
          LogInfo(absl::StrCat("front: TLS handshake failed from ", c.peer_uri));
        }
        Close(c);
      }
      if (!c.tls_done) return;
    }
  }
  if (ready & kClientReadable) ReadClient(c, now);
  if (c.dead) return;
  if ((ready & kServerWritable) && c.sfd >= 0) WriteServer(c);
  if (((ready & kServerReadable) || c.server_hup) && c.sfd >= 0) {
    ReadServer(c, now);
    if (c.dead) return;
  }
  if ((ready & kClientWritable) && !c.out.empty()) WriteClient(c, now);
  if (c.dead) return;
  // A client held back (gRPC behind, or its answers unread) is read again once UpdateInterest
  // restores EPOLLIN: level-triggered epoll reports what waited in the socket.
  if (c.server_eof && !c.draining && c.out.empty()) {
    // gRPC is done with this connection and the client has everything it sent: linger (bounded)
    // instead of closing at once, so unread client bytes do not turn into an RST that eats it.
    c.draining = true;
    c.drain_deadline = now + kDrainNs;
  }
  if (c.draining && c.out.empty() && !c.wr_shut) {
    if (c.ssl != nullptr) SSL_shutdown(c.ssl);  // close_notify, best effort
    shutdown(c.cfd, SHUT_WR);  // then wait (bounded) for the client's EOF, so no RST eats it
    c.wr_shut = true;
  }
  UpdateInterest(c);
}

void H2Front::ReadClient(Conn& c, int64_t now) {
  static thread_local std::vector<uint8_t> scratch(kReadChunk);
  for (int i = 0; i < kReadsPerPump; ++i) {
    // gRPC is behind, or the client is not reading its answers: let TCP push back on it.
    if (!c.draining && (!c.in_out.empty() || c.out.size() >= options_.max_buffered_bytes)) break;
    size_t got = 0;
    bool wants_write = false;
    Io io = ReadSome(c.cfd, c.ssl, scratch.data(), scratch.size(), &got, &wants_write);
    if (c.ssl != nullptr) c.tls_wants_write = wants_write;
    if (io == Io::kAgain) break;
    if (io != Io::kOk) {
      Close(c);
      return;
    }
    // A short plaintext read drained the socket (level-triggered epoll says if more comes).
    const bool drained = c.ssl == nullptr && got < scratch.size();
    if (c.draining) {
      if (drained) break;
      continue;  // discard: we are only waiting for the client to go
    }
    const uint8_t* data = scratch.data();
    size_t len = got;
    if (!c.in_hold.empty()) {
      c.in_hold.append(reinterpret_cast<const char*>(scratch.data()), got);
      data = reinterpret_cast<const uint8_t*>(c.in_hold.data());
      len = c.in_hold.size();
    }
    H2Policer::Result r = c.policer.Consume(data, len, now);
    if (r.consumed > 0 && !c.handed_off && !HandOff(c)) return;
    // Once gRPC has hung up, what the client still sends has nowhere to go.
    if (r.consumed > 0 && c.sfd >= 0 && !c.server_hup &&
        !WriteOrKeep(c.sfd, &c.in_out, data, r.consumed)) {
      c.server_hup = true;
      c.in_out.clear();
    }
    std::string rest(reinterpret_cast<const char*>(data) + r.consumed, len - r.consumed);
    c.in_hold.swap(rest);
    if (r.violation != Violation::kNone) {
      Abort(c, r.violation, now);
      return;
    }
    if (c.in_hold.size() > 1024) {  // the policer holds at most a preface or a SETTINGS frame
      Abort(c, Violation::kProtocol, now);
      return;
    }
    if (drained) break;
  }
}

bool H2Front::HandOff(Conn& c) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    if (log_budget_.Take(MonotonicNs())) {
      LogWarning(absl::StrCat("front: socketpair: ", std::strerror(errno)));
    }
    Close(c);
    return false;
  }
  c.sfd = fds[0];
  c.handed_off = true;
  {
    MutexLock lock(&peers_mu_);
    peer_of_fd_[fds[1]] = c.peer_uri;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = (c.id << 2) | kServerSide;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.sfd, &ev);
  c.s_events = EPOLLIN;
  handed_off_.fetch_add(1, std::memory_order_relaxed);
  handoff_(fds[1]);
  return true;
}

void H2Front::WriteServer(Conn& c) {
  if (c.in_out.empty() || c.sfd < 0) return;
  ssize_t r = send(c.sfd, c.in_out.data(), c.in_out.size(), MSG_NOSIGNAL);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    c.server_hup = true;  // gRPC closed its end: read what it left, then EOF
    c.in_out.clear();
    return;
  }
  c.in_out.erase(0, static_cast<size_t>(r));
}

void H2Front::ReadServer(Conn& c, int64_t now) {
  static thread_local std::vector<uint8_t> scratch(kReadChunk);
  // After a hang-up the socketpair holds at most its buffer: read it all, then the EOF.
  const int reads = c.server_hup ? 1 << 20 : kReadsPerPump;
  for (int i = 0; i < reads && c.sfd >= 0 && !c.draining; ++i) {
    if (!c.server_hup && c.out.size() >= options_.max_buffered_bytes) break;
    ssize_t r = read(c.sfd, scratch.data(), scratch.size());
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
    if (r <= 0) {
      c.server_eof = true;
      epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.sfd, nullptr);
      close(c.sfd);
      c.sfd = -1;
      return;
    }
    const size_t n = static_cast<size_t>(r);
    c.policer.ConsumeServer(scratch.data(), n, now);
    size_t put = 0;
    if (c.out.empty()) {
      // Straight to the client; only what it does not take now is kept.
      bool wants_write = false;
      Io io = WriteSome(c.cfd, c.ssl, reinterpret_cast<const char*>(scratch.data()), n, &put,
                        &wants_write);
      if (wants_write) c.tls_wants_write = true;
      if (io == Io::kError) {
        Close(c);
        return;
      }
      if (put < n) c.write_wait_since = now;
    }
    c.out.append(reinterpret_cast<const char*>(scratch.data()) + put, n - put);
    if (n < scratch.size() && !c.server_hup) break;  // drained
  }
}

void H2Front::WriteClient(Conn& c, int64_t now) {
  while (!c.out.empty()) {
    size_t put = 0;
    bool wants_write = false;
    c.tls_wants_write = false;
    Io io = WriteSome(c.cfd, c.ssl, c.out.data(), c.out.size(), &put, &wants_write);
    if (wants_write) c.tls_wants_write = true;
    if (io == Io::kError) {
      Close(c);
      return;
    }
    if (put == 0) break;
    c.out.erase(0, put);
    c.write_wait_since = now;
  }
}

void H2Front::Abort(Conn& c, Violation why, int64_t now) {
  if (c.dead || c.draining) return;
  violations_.fetch_add(1, std::memory_order_relaxed);
  // A load balancer's HTTP/1 probe or a slow handshake is no attack: no strike for those.
  if (why != Violation::kHandshakeTimeout && why != Violation::kBadPreface) {
    peer_table_.Strike(c.peer_key, now);
  }
  if (log_budget_.Take(now)) {
    LogWarning(absl::StrCat("front: closing a connection from ", c.peer_uri, ": ",
                            ViolationName(why), " (GOAWAY; ", c.policer.open_streams(),
                            " streams open; client sent ", c.policer.ClientFrameSummary(),
                            log_suppressed_ > 0 ? "; " : "",
                            log_suppressed_ > 0 ? absl::StrCat(log_suppressed_,
                                                               " similar lines suppressed")
                                                : "",
                            ")"));
    log_suppressed_ = 0;
  } else {
    ++log_suppressed_;
  }
  if (c.sfd < 0) {
    Close(c);
    return;
  }
  // GOAWAY after the last complete frame of gRPC's output, if the client has not been sent part
  // of a later one already.
  // Under TLS the head of `out` may be promised to OpenSSL already (a write it must retry with
  // the same bytes), so it is never cut: the GOAWAY goes only after a complete frame.
  uint64_t sent = c.policer.server_bytes() - c.out.size();
  uint64_t boundary = c.policer.server_frame_boundary();
  const std::string debug = absl::StrCat("authd: ", ViolationName(why));
  if (c.ssl != nullptr) {
    if (boundary == c.policer.server_bytes()) {
      h2::AppendGoAway(c.policer.last_client_stream(), GoAwayCodeFor(why), debug, &c.out);
    }
  } else if (sent <= boundary) {
    c.out.resize(static_cast<size_t>(boundary - sent));
    h2::AppendGoAway(c.policer.last_client_stream(), GoAwayCodeFor(why), debug, &c.out);
  } else {
    c.out.clear();
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.sfd, nullptr);
  close(c.sfd);  // gRPC sees EOF and drops the calls
  c.sfd = -1;
  c.in_out.clear();
  c.in_hold.clear();
  c.draining = true;
  c.drain_deadline = now + kDrainNs;
  c.write_wait_since = now;
  WriteClient(c, now);
  if (!c.dead) UpdateInterest(c);
}

void H2Front::Close(Conn& c) {
  if (c.dead) return;
  c.dead = true;
  if (c.policer.preface_done()) {
    LogDebug(absl::StrCat("front: connection from ", c.peer_uri, " closed; client sent ",
                          c.policer.ClientFrameSummary()));
  }
  dead_.push_back(c.id);
  if (c.sfd >= 0) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.sfd, nullptr);
    close(c.sfd);
    c.sfd = -1;
  }
  if (c.ssl != nullptr) {
    SSL_free(c.ssl);
    c.ssl = nullptr;
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.cfd, nullptr);
  close(c.cfd);
  c.cfd = -1;
  peer_table_.Release(c.peer_key);
  open_.fetch_sub(1, std::memory_order_relaxed);
}

void H2Front::SetEvents(int fd, uint64_t tag, uint32_t want, uint32_t* have) {
  if (want == *have) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = tag;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  *have = want;
}

void H2Front::UpdateInterest(Conn& c) {
  if (c.dead) return;
  uint32_t ce = 0;
  if (!c.tls_done) {
    ce = c.tls_wants_write ? EPOLLOUT : EPOLLIN;
  } else {
    if (c.draining || (c.in_out.empty() && c.out.size() < options_.max_buffered_bytes)) {
      ce |= EPOLLIN;
    }
    if (!c.out.empty() || c.tls_wants_write) ce |= EPOLLOUT;
  }
  SetEvents(c.cfd, (c.id << 2) | kClientSide, ce, &c.c_events);
  if (c.sfd >= 0) {
    uint32_t se = 0;
    if (!c.server_hup && c.out.size() < options_.max_buffered_bytes) se |= EPOLLIN;
    if (!c.in_out.empty()) se |= EPOLLOUT;
    SetEvents(c.sfd, (c.id << 2) | kServerSide, se, &c.s_events);
  }
  // Decrypted bytes OpenSSL already holds wake no epoll: the loop takes them next round.
  if (c.ssl != nullptr && c.tls_done && !c.draining && c.in_out.empty() &&
      c.out.size() < options_.max_buffered_bytes && SSL_pending(c.ssl) > 0) {
    repump_.push_back(c.id);
  }
}

void H2Front::Sweep(int64_t now) {
  for (auto& [id, cp] : conns_) {
    Conn& c = *cp;
    if (c.dead) continue;
    if (c.draining) {
      if (now >= c.drain_deadline) Close(c);
      continue;
    }
    if (!c.policer.preface_done() && now - c.accepted_ns >= options_.handshake_timeout_ns) {
      handshake_timeouts_.fetch_add(1, std::memory_order_relaxed);
      Close(c);
      continue;
    }
    if (!c.out.empty() && now - c.write_wait_since >= options_.write_stall_timeout_ns) {
      write_stalls_.fetch_add(1, std::memory_order_relaxed);
      Abort(c, Violation::kSlowReader, now);
      continue;
    }
    Violation stall = c.policer.CheckStall(now);
    if (stall != Violation::kNone) Abort(c, stall, now);
  }
  peer_table_.Sweep(now);
  if (accept_paused_until_ != 0 && now >= accept_paused_until_ && listen_fd_ >= 0) {
    accept_paused_until_ = 0;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenTag;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  }
}

}  // namespace authd::net
