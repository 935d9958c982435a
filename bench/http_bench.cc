// http_bench: the same token calls over authd's HTTP API and over its gRPC API, in one run, with
// ratios (issue 19's benchmark; docs/performance.md section 10).
//
// Against one fresh authd serving both (--grpc and --http, 127.0.0.1 only): runs setup over HTTP,
// creates one read token to fetch, then for --rounds rounds, alternating which transport goes
// first:
//   get     GET /api/v2/authorizations/{id}  vs  AuthorizationService.GetAuthorization
//   create  POST /api/v2/authorizations      vs  AuthorizationService.CreateAuthorization
// Closed loop: --concurrency threads, each with its own connection (HTTP/1.1 keep-alive, or its own
// gRPC channel), one call in flight each. Prints req/s, p50 and p99 per transport and HTTP/gRPC
// ratios.
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "authd/v1/authorization_service.grpc.pb.h"
#include "base/mutex.h"
#include "bench/flags.h"
#include "bench/histogram.h"

namespace authd::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using nlohmann::json;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port, reopened after an error.
class HttpConnection {
 public:
  explicit HttpConnection(int port) : port_(port), socket_(io_) {}
  // Returns the status (0 when the connection failed; the next call reconnects); the body in *body.
  int Call(const std::string& method, const std::string& target, const std::string& token,
           const std::string& body_in, std::string* body) {
    try {
      return CallOnce(method, target, token, body_in, body);
    } catch (const std::exception&) {
      boost::system::error_code ignored;
      socket_.close(ignored);
      buffer_.clear();
      return 0;
    }
  }

 private:
  int CallOnce(const std::string& method, const std::string& target, const std::string& token,
               const std::string& body_in, std::string* body) {
    if (!socket_.is_open()) {
      socket_.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)});
      socket_.set_option(asio::ip::tcp::no_delay(true));
    }
    bhttp::request<bhttp::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(bhttp::field::host, absl::StrCat("127.0.0.1:", port_));
    if (!token.empty()) req.set(bhttp::field::authorization, "Token " + token);
    req.body() = body_in;
    req.prepare_payload();
    bhttp::write(socket_, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(socket_, buffer_, res);
    if (body != nullptr) *body = std::move(res.body());
    if (!res.keep_alive()) {
      boost::system::error_code ignored;
      socket_.close(ignored);
    }
    return static_cast<int>(res.result_int());
  }

  int port_;
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  beast::flat_buffer buffer_;
};

struct Options {
  std::string grpc = "127.0.0.1:50051";
  std::string http = "127.0.0.1:8086";
  int concurrency = 4;
  absl::Duration duration = absl::Seconds(3);
  absl::Duration warmup = absl::Seconds(1);
  int rounds = 3;
  std::string parts = "get,create";
};

struct Result {
  LatencyHistogram latency;
  uint64_t errors = 0;
  double seconds = 0;
};

int PortOf(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

// Runs `call` (returns false on an error) in `threads` threads for warmup + duration.
template <typename MakeWorker>
Result Drive(const Options& o, MakeWorker make_worker) {
  std::atomic<bool> measuring{false}, stop{false};
  Mutex mu;
  Result total;
  std::vector<std::thread> threads;
  for (int t = 0; t < o.concurrency; ++t) {
    threads.emplace_back([&, t] {
      auto call = make_worker(t);
      LatencyHistogram mine;
      uint64_t errors = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const int64_t start = NowNs();
        const bool ok = call();
        if (measuring.load(std::memory_order_relaxed)) {
          mine.Record(static_cast<uint64_t>(NowNs() - start));
          if (!ok) ++errors;
        }
      }
      MutexLock lock(&mu);
      total.latency.Merge(mine);
      total.errors += errors;
    });
  }
  absl::SleepFor(o.warmup);
  measuring = true;
  const int64_t started = NowNs();
  absl::SleepFor(o.duration);
  measuring = false;
  total.seconds = (NowNs() - started) / 1e9;
  stop = true;
  for (auto& t : threads) t.join();
  return total;
}

void Print(const std::string& what, const std::string& transport, const Result& r) {
  std::printf("%-7s %-5s %9.0f req/s  p50 %8.1f us  p99 %8.1f us  n=%llu errors=%llu\n",
              what.c_str(), transport.c_str(), r.latency.count() / r.seconds,
              r.latency.Percentile(0.50) / 1e3, r.latency.Percentile(0.99) / 1e3,
              static_cast<unsigned long long>(r.latency.count()),
              static_cast<unsigned long long>(r.errors));
}

int Main(int argc, char** argv) {
  Options o;
  Flags flags;
  flags.Add("grpc", &o.grpc, "authd's gRPC address (127.0.0.1:port)");
  flags.Add("http", &o.http, "authd's HTTP API address (127.0.0.1:port)");
  flags.Add("concurrency", &o.concurrency, "threads, each with its own connection and one call");
  flags.Add("duration", &o.duration, "measured time per transport and round");
  flags.Add("warmup", &o.warmup, "unmeasured time before it");
  flags.Add("rounds", &o.rounds, "rounds, alternating which transport goes first");
  flags.Add("parts", &o.parts, "comma-separated: get, create");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "http_bench: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::fputs(flags.Usage("http_bench", "authd's HTTP API vs its gRPC API, same calls, same run.").c_str(),
               stdout);
    return 0;
  }
  if (!absl::StartsWith(o.grpc, "127.0.0.1:") || !absl::StartsWith(o.http, "127.0.0.1:")) {
    std::fprintf(stderr, "http_bench: only 127.0.0.1 targets\n");
    return 2;
  }
  const int http_port = PortOf(o.http);

  // Setup (once per data dir) and the token to fetch.
  HttpConnection admin(http_port);
  std::string body;
  std::string operator_token;
  json setup_body = {{"username", "bench"}, {"password", "bench password 1"}, {"org", "bench"},
                     {"bucket", "bench"}};
  if (admin.Call("POST", "/api/v2/setup", "", setup_body.dump(), &body) != 201) {
    std::fprintf(stderr, "http_bench: setup over HTTP failed (use a fresh data dir): %s\n", body.c_str());
    return 1;
  }
  json setup = json::parse(body);
  operator_token = setup["auth"]["token"];
  const std::string org_id = setup["org"]["id"], bucket_id = setup["bucket"]["id"];
  json create_body = {{"orgID", org_id},
                      {"description", "bench"},
                      {"permissions",
                       {{{"action", "read"},
                         {"resource", {{"type", "buckets"}, {"id", bucket_id}, {"orgID", org_id}}}}}}};
  if (admin.Call("POST", "/api/v2/authorizations", operator_token, create_body.dump(), &body) != 201) {
    std::fprintf(stderr, "http_bench: create failed: %s\n", body.c_str());
    return 1;
  }
  const std::string id = json::parse(body)["id"];
  authd::v1::CreateAuthorizationRequest create_req;
  create_req.set_org_id(org_id);
  create_req.set_description("bench");
  auto* p = create_req.add_permissions();
  p->set_action("read");
  p->mutable_resource()->set_type("buckets");
  p->mutable_resource()->set_id(bucket_id);
  p->mutable_resource()->set_org_id(org_id);

  auto grpc_stub = [&](int t) {
    grpc::ChannelArguments args;
    args.SetInt("authd.bench.channel", t);  // a connection per thread
    return authd::v1::AuthorizationService::NewStub(
        grpc::CreateCustomChannel(o.grpc, grpc::InsecureChannelCredentials(), args));
  };
  auto grpc_ctx = [&](grpc::ClientContext* c) {
    c->AddMetadata("authorization", "Token " + operator_token);
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  };

  std::string load;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    char buf[64] = {0};
    if (std::fgets(buf, sizeof(buf), f) != nullptr) load = buf;
    std::fclose(f);
  }
  std::printf("http_bench: concurrency %d, %d rounds of %s per transport (warm-up %s); load %s",
              o.concurrency, o.rounds, absl::FormatDuration(o.duration).c_str(),
              absl::FormatDuration(o.warmup).c_str(), load.c_str());
  for (const std::string part : {"get", "create"}) {
    if (!absl::StrContains(o.parts, part)) continue;
    Result http_total, grpc_total;
    for (int round = 0; round < o.rounds; ++round) {
      for (int k = 0; k < 2; ++k) {
        const bool http_now = (round + k) % 2 == 0;
        Result r;
        if (http_now) {
          r = Drive(o, [&](int) {
            auto conn = std::make_shared<HttpConnection>(http_port);
            return [&, conn]() {
              std::string b;
              if (part == "get") {
                return conn->Call("GET", "/api/v2/authorizations/" + id, operator_token, "", &b) == 200;
              }
              return conn->Call("POST", "/api/v2/authorizations", operator_token, create_body.dump(), &b) == 201;
            };
          });
          http_total.latency.Merge(r.latency);
          http_total.errors += r.errors;
          http_total.seconds += r.seconds;
        } else {
          r = Drive(o, [&](int t) {
            std::shared_ptr<authd::v1::AuthorizationService::Stub> stub = grpc_stub(t);
            return [&, stub]() {
              grpc::ClientContext c;
              grpc_ctx(&c);
              authd::v1::Authorization out;
              if (part == "get") {
                authd::v1::GetAuthorizationRequest req;
                req.set_id(id);
                return stub->GetAuthorization(&c, req, &out).ok();
              }
              return stub->CreateAuthorization(&c, create_req, &out).ok();
            };
          });
          grpc_total.latency.Merge(r.latency);
          grpc_total.errors += r.errors;
          grpc_total.seconds += r.seconds;
        }
        Print(part, http_now ? "http" : "grpc", r);
      }
    }
    std::printf("--- %s, pooled over %d rounds\n", part.c_str(), o.rounds);
    Print(part, "http", http_total);
    Print(part, "grpc", grpc_total);
    const double http_qps = http_total.latency.count() / http_total.seconds;
    const double grpc_qps = grpc_total.latency.count() / grpc_total.seconds;
    std::printf("%-7s http/grpc: req/s %.2fx  p50 %.2fx  p99 %.2fx\n", part.c_str(),
                http_qps / grpc_qps,
                static_cast<double>(http_total.latency.Percentile(0.5)) / grpc_total.latency.Percentile(0.5),
                static_cast<double>(http_total.latency.Percentile(0.99)) /
                    grpc_total.latency.Percentile(0.99));
  }
  return 0;
}

}  // namespace
}  // namespace authd::bench

int main(int argc, char** argv) { return authd::bench::Main(argc, argv); }
