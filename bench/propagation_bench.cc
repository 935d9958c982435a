// propagation_bench: how long a write through one authd replica takes to be honoured by another
// (etcd mode, issue 13), with and without a create storm on the writer.
//
// A probe thread creates a token on --writer every --probe-interval; from the moment the create is
// acknowledged it asks --reader, without min_position, to Authorize the new token, in a tight loop
// (bounded: --probe-timeout), and records the time until the first "allowed" (the propagation lag
// as a sibling service sees it). Meanwhile --storm-concurrency threads create tokens on --writer in
// a closed loop (0: no storm). Prints the lag's p50/p90/p99/max, the probes that timed out, and the
// storm's creates/s; with --json also one JSON line starting with '{'. Uses the operator line of a
// tokens file (bench/tokens_file.h, written by bench/seed_tokens). Loopback targets only.
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "authd/v1/authorization_service.grpc.pb.h"
#include "authd/v1/authorize_service.grpc.pb.h"
#include "bench/flags.h"
#include "bench/histogram.h"
#include "bench/tokens_file.h"

namespace authd::bench {
namespace {

bool IsLoopback(const std::string& target) {
  const std::string host = target.substr(0, target.rfind(':'));
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

struct Options {
  std::string writer, reader, tokens;
  int storm_concurrency = 16;
  absl::Duration duration = absl::Seconds(5);
  absl::Duration probe_interval = absl::Milliseconds(20);
  absl::Duration probe_timeout = absl::Seconds(5);
  bool json = false;
};

v1::CreateAuthorizationRequest CreateRequest(const TokensFile& file) {
  v1::CreateAuthorizationRequest req;
  req.set_org_id(file.org_id);
  v1::Permission* p = req.add_permissions();
  p->set_action("read");
  p->mutable_resource()->set_type("buckets");
  p->mutable_resource()->set_id(file.bucket_id);
  p->mutable_resource()->set_org_id(file.org_id);
  return req;
}

void SetCaller(grpc::ClientContext* ctx, const std::string& token) {
  ctx->AddMetadata("authorization", "Token " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

int Run(const Options& o) {
  absl::StatusOr<TokensFile> file = ReadTokensFile(o.tokens);
  if (!file.ok() || file->operator_token.empty()) {
    std::fprintf(stderr, "propagation_bench: %s: need a tokens file with an operator line\n",
                 o.tokens.c_str());
    return 2;
  }
  auto writer = grpc::CreateChannel(o.writer, grpc::InsecureChannelCredentials());
  auto reader = grpc::CreateChannel(o.reader, grpc::InsecureChannelCredentials());
  const v1::CreateAuthorizationRequest create = CreateRequest(*file);

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> storm_creates{0}, storm_errors{0};
  std::vector<std::thread> storm;
  for (int i = 0; i < o.storm_concurrency; ++i) {
    storm.emplace_back([&] {
      auto stub = v1::AuthorizationService::NewStub(writer);
      while (!stop.load()) {
        grpc::ClientContext ctx;
        SetCaller(&ctx, file->operator_token);
        v1::Authorization out;
        grpc::Status s = stub->CreateAuthorization(&ctx, create, &out);
        (s.ok() ? storm_creates : storm_errors).fetch_add(1);
      }
    });
  }

  LatencyHistogram lag;
  int timed_out = 0, probe_errors = 0;
  auto writes = v1::AuthorizationService::NewStub(writer);
  auto checks = v1::AuthorizeService::NewStub(reader);
  const absl::Time start = absl::Now();
  while (absl::Now() - start < o.duration) {
    const absl::Time next = absl::Now() + o.probe_interval;
    grpc::ClientContext ctx;
    SetCaller(&ctx, file->operator_token);
    v1::Authorization created;
    if (!writes->CreateAuthorization(&ctx, create, &created).ok()) {
      ++probe_errors;
    } else {
      const absl::Time acked = absl::Now();
      v1::AuthorizeRequest ask;
      ask.set_token(created.token());
      ask.set_action("read");
      ask.mutable_resource()->set_type("buckets");
      ask.mutable_resource()->set_id(file->bucket_id);
      ask.mutable_resource()->set_org_id(file->org_id);
      bool allowed = false;
      while (!allowed && absl::Now() - acked < o.probe_timeout) {
        grpc::ClientContext c;
        c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        v1::AuthorizeResponse resp;
        allowed = checks->Authorize(&c, ask, &resp).ok() && resp.allowed();
      }
      if (allowed) {
        lag.Record(static_cast<uint64_t>(absl::ToInt64Nanoseconds(absl::Now() - acked)));
      } else {
        ++timed_out;
      }
    }
    absl::SleepFor(next - absl::Now());
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  stop = true;
  for (std::thread& t : storm) t.join();

  auto us = [&](double q) { return static_cast<double>(lag.Percentile(q)) / 1000.0; };
  std::printf("propagation %s -> %s, storm %d: %llu probes, lag p50 %.0f us, p90 %.0f us, p99 "
              "%.0f us, max %.0f us; %d timed out, %d probe errors; storm %.0f creates/s (%llu "
              "errors)\n",
              o.writer.c_str(), o.reader.c_str(), o.storm_concurrency,
              static_cast<unsigned long long>(lag.count()), us(0.5), us(0.9), us(0.99),
              static_cast<double>(lag.max()) / 1000.0, timed_out, probe_errors,
              static_cast<double>(storm_creates.load()) / seconds,
              static_cast<unsigned long long>(storm_errors.load()));
  if (o.json) {
    std::printf("{\"bench\":\"propagation\",\"storm_concurrency\":%d,\"probes\":%llu,\"p50_us\":%.1f,"
                "\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,\"timed_out\":%d,"
                "\"probe_errors\":%d,\"storm_creates_per_s\":%.1f}\n",
                o.storm_concurrency, static_cast<unsigned long long>(lag.count()), us(0.5), us(0.9),
                us(0.99), static_cast<double>(lag.max()) / 1000.0, timed_out, probe_errors,
                static_cast<double>(storm_creates.load()) / seconds);
  }
  return timed_out == 0 && lag.count() > 0 ? 0 : 1;
}

}  // namespace
}  // namespace authd::bench

int main(int argc, char** argv) {
  authd::bench::Options o;
  authd::bench::Flags flags;
  flags.Add("writer", &o.writer, "host:port of the replica written to (loopback)");
  flags.Add("reader", &o.reader, "host:port of the replica asked to Authorize (loopback)");
  flags.Add("tokens", &o.tokens, "tokens file with the operator line (bench/seed_tokens --out)");
  flags.Add("storm-concurrency", &o.storm_concurrency, "closed-loop creators on the writer (0: none)");
  flags.Add("duration", &o.duration, "how long to probe");
  flags.Add("probe-interval", &o.probe_interval, "time between probes");
  flags.Add("probe-timeout", &o.probe_timeout, "give a probe up after this long");
  flags.Add("json", &o.json, "also print one JSON line");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "propagation_bench: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::fputs(flags.Usage("propagation_bench", "Write on one replica, time Authorize on another.")
                   .c_str(),
               stdout);
    return 0;
  }
  if (!authd::bench::IsLoopback(o.writer) || !authd::bench::IsLoopback(o.reader) ||
      o.tokens.empty() || o.storm_concurrency < 0 || o.storm_concurrency > 256) {
    std::fprintf(stderr, "propagation_bench: need loopback --writer and --reader, --tokens, "
                         "--storm-concurrency 0..256\n");
    return 2;
  }
  return authd::bench::Run(o);
}
