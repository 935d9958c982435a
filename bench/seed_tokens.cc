// seed_tokens: prepares a fresh authd for load runs, over gRPC, the way an admin would: Setup
// (user, org, bucket, operator token), then --count tokens with one permission each
// (`read orgs/<org>/buckets/<bucket>`) through AuthorizationService.CreateAuthorization, from
// --threads client threads. Writes the tokens file (bench/tokens_file.h):
//   allowed: `read` on the bucket with each token; denied: `write` on the bucket (not held);
//   unknown: --unknown fresh well-formed authd_ tokens that were never stored.
// With --h2load-body=PATH it also writes one allowed AuthorizeRequest as a gRPC-framed body for
// h2load. Loopback targets only.
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "authd/v1/authorization_service.grpc.pb.h"
#include "authd/v1/authorize_service.pb.h"
#include "authd/v1/setup_service.grpc.pb.h"
#include "authz/token.h"
#include "base/mutex.h"
#include "bench/flags.h"
#include "bench/tokens_file.h"

namespace authd::bench {
namespace {

int Main(int argc, char** argv) {
  std::string target;
  std::string out;
  std::string h2load_body;
  int count = 2000;
  int unknown = 1000;
  int threads = 16;
  int64_t ttl_seconds = 0;
  Flags flags;
  flags.Add("target", &target, "host:port of a fresh authd (setup not done yet); loopback only");
  flags.Add("out", &out, "the tokens file to write (required)");
  flags.Add("count", &count, "tokens to create");
  flags.Add("unknown", &unknown, "unknown (never stored) tokens to list");
  flags.Add("threads", &threads, "client threads creating tokens");
  flags.Add("ttl-seconds", &ttl_seconds, "give every token this lifetime (0: never expires)");
  flags.Add("h2load-body", &h2load_body, "also write a gRPC-framed allowed AuthorizeRequest here");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "seed_tokens: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::fputs(flags.Usage("seed_tokens", "Set up a fresh authd and create tokens for load runs.")
                   .c_str(),
               stdout);
    return 0;
  }
  const std::string host = target.substr(0, target.rfind(':'));
  if (out.empty() || (host != "127.0.0.1" && host != "localhost") || count < 1 ||
      count > 1000000 || unknown < 0 || threads < 1 || threads > 256) {
    std::fprintf(stderr, "seed_tokens: need --target=127.0.0.1:PORT --out=FILE, count 1..1e6, "
                         "threads 1..256\n");
    return 2;
  }
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "seed_tokens: cannot connect to %s\n", target.c_str());
    return 1;
  }

  auto setup = authd::v1::SetupService::NewStub(channel);
  authd::v1::SetupRequest setup_req;
  setup_req.set_username("bench");
  setup_req.set_org("bench-org");
  setup_req.set_bucket("bench-bucket");
  authd::v1::SetupResponse setup_resp;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status s = setup->Setup(&ctx, setup_req, &setup_resp);
    if (!s.ok()) {
      std::fprintf(stderr, "seed_tokens: Setup: %s\n", s.error_message().c_str());
      return 1;
    }
  }
  TokensFile file;
  file.operator_token = setup_resp.authorization().token();
  file.org_id = setup_resp.org().id();
  file.bucket_id = setup_resp.bucket().id();

  authd::v1::CreateAuthorizationRequest create;
  create.set_org_id(file.org_id);
  create.set_description("seed_tokens");
  if (ttl_seconds > 0) create.mutable_ttl()->set_seconds(ttl_seconds);
  authd::v1::Permission* p = create.add_permissions();
  p->set_action("read");
  p->mutable_resource()->set_type("buckets");
  p->mutable_resource()->set_org_id(file.org_id);
  p->mutable_resource()->set_id(file.bucket_id);
  const std::string auth_header = absl::StrCat("Token ", file.operator_token);

  Mutex mu;
  std::vector<std::string> tokens;
  std::string first_error;
  std::atomic<int> next{0};
  const absl::Time started = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      auto stub = authd::v1::AuthorizationService::NewStub(channel);
      while (next.fetch_add(1) < count) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        ctx.AddMetadata("authorization", auth_header);
        authd::v1::Authorization resp;
        grpc::Status s = stub->CreateAuthorization(&ctx, create, &resp);
        MutexLock lock(&mu);
        if (s.ok()) {
          tokens.push_back(resp.token());
        } else if (first_error.empty()) {
          first_error = s.error_message();
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  if (!first_error.empty()) {
    std::fprintf(stderr, "seed_tokens: CreateAuthorization: %s\n", first_error.c_str());
    return 1;
  }
  for (const std::string& token : tokens) {
    file.requests[0].push_back(
        BenchRequest{RequestKind::kAllowed, token, "read", "buckets", file.org_id, file.bucket_id});
    file.requests[1].push_back(
        BenchRequest{RequestKind::kDenied, token, "write", "buckets", file.org_id, file.bucket_id});
  }
  for (int i = 0; i < unknown; ++i) {
    file.requests[2].push_back(BenchRequest{RequestKind::kUnknown, authz::GenerateToken(), "read",
                                            "buckets", file.org_id, file.bucket_id});
  }
  if (absl::Status s = WriteTokensFile(out, file); !s.ok()) {
    std::fprintf(stderr, "seed_tokens: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (!h2load_body.empty()) {
    authd::v1::AuthorizeRequest req;
    req.set_token(tokens.front());
    req.set_action("read");
    req.mutable_resource()->set_type("buckets");
    req.mutable_resource()->set_org_id(file.org_id);
    req.mutable_resource()->set_id(file.bucket_id);
    std::ofstream body(h2load_body, std::ios::binary | std::ios::trunc);
    body << GrpcFrame(req.SerializeAsString());
    if (!body) {
      std::fprintf(stderr, "seed_tokens: cannot write %s\n", h2load_body.c_str());
      return 1;
    }
  }
  std::printf("seed_tokens: created %zu tokens in %.2f s (%.0f/s, %d client threads); wrote %s\n",
              tokens.size(), seconds, tokens.size() / seconds, threads, out.c_str());
  return 0;
}

}  // namespace
}  // namespace authd::bench

int main(int argc, char** argv) { return authd::bench::Main(argc, argv); }
