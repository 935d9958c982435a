#include "storage/etcd/etcd_client.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/memory/memory.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "storage/etcd/etcd_status.h"
#include "storage/etcd/range_end.h"

namespace authd::storage::etcd {

struct EtcdClient::Endpoint {
  std::string url;  // as in the options, e.g. "http://127.0.0.1:2379"
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  std::unique_ptr<etcdserverpb::Cluster::Stub> cluster;
  std::unique_ptr<etcdserverpb::Auth::Stub> auth;
};

namespace {

// Every loop here is bounded by the call's deadline; this also bounds it in count.
constexpr int kMaxAttemptsPerCall = 64;
constexpr int kMaxConnectStateChanges = 16;

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("etcd: cannot read the ", what, " ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "http://host:port" -> {false, "host:port"}; "https://..." -> {true, ...}.
absl::Status ParseEndpoint(const std::string& url, bool* tls, std::string* target) {
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "http://")) {
    *tls = false;
  } else if (absl::ConsumePrefix(&rest, "https://")) {
    *tls = true;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("etcd: endpoint '", url, "' is not http://host:port or https://host:port"));
  }
  absl::ConsumeSuffix(&rest, "/");
  size_t colon = rest.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(rest.substr(colon + 1), &port) || port == 0 || port > 65535 ||
      absl::StrContains(rest, "/")) {
    return absl::InvalidArgumentError(absl::StrCat("etcd: endpoint '", url, "' has no host:port"));
  }
  *target = std::string(rest);
  return absl::OkStatus();
}

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  KeyValue out;
  out.key = kv.key();
  out.value = kv.value();
  out.create_revision = kv.create_revision();
  out.mod_revision = kv.mod_revision();
  out.version = kv.version();
  return out;
}

void ToProto(const std::string& key, const RangeOptions& options,
             etcdserverpb::RangeRequest* request) {
  request->set_key(key);
  if (options.prefix) {
    request->set_range_end(RangeEndForPrefix(key));
  } else if (!options.range_end.empty()) {
    request->set_range_end(options.range_end);
  }
  request->set_limit(options.limit);
  request->set_revision(options.revision);
}

RangeResult FromProto(const etcdserverpb::RangeResponse& response) {
  RangeResult out;
  out.revision = response.header().revision();
  out.more = response.more();
  out.count = response.count();
  out.kvs.reserve(response.kvs_size());
  for (const mvccpb::KeyValue& kv : response.kvs()) out.kvs.push_back(FromProto(kv));
  return out;
}

void ToProto(const Compare& compare, etcdserverpb::Compare* out) {
  out->set_key(compare.key);
  switch (compare.op) {
    case Compare::Op::kEqual: out->set_result(etcdserverpb::Compare::EQUAL); break;
    case Compare::Op::kNotEqual: out->set_result(etcdserverpb::Compare::NOT_EQUAL); break;
    case Compare::Op::kGreater: out->set_result(etcdserverpb::Compare::GREATER); break;
    case Compare::Op::kLess: out->set_result(etcdserverpb::Compare::LESS); break;
  }
  switch (compare.target) {
    case Compare::Target::kVersion:
      out->set_target(etcdserverpb::Compare::VERSION);
      out->set_version(compare.number);
      break;
    case Compare::Target::kCreateRevision:
      out->set_target(etcdserverpb::Compare::CREATE);
      out->set_create_revision(compare.number);
      break;
    case Compare::Target::kModRevision:
      out->set_target(etcdserverpb::Compare::MOD);
      out->set_mod_revision(compare.number);
      break;
    case Compare::Target::kValue:
      out->set_target(etcdserverpb::Compare::VALUE);
      out->set_value(compare.value);
      break;
  }
}

void ToProto(const TxnOp& op, etcdserverpb::RequestOp* out) {
  switch (op.kind) {
    case TxnOp::Kind::kPut: {
      etcdserverpb::PutRequest* put = out->mutable_request_put();
      put->set_key(op.key);
      put->set_value(op.value);
      break;
    }
    case TxnOp::Kind::kRange:
      ToProto(op.key, op.range, out->mutable_request_range());
      break;
    case TxnOp::Kind::kDeleteRange: {
      etcdserverpb::DeleteRangeRequest* del = out->mutable_request_delete_range();
      del->set_key(op.key);
      if (!op.range.range_end.empty()) del->set_range_end(op.range.range_end);
      break;
    }
  }
}

bool HasWrite(const std::vector<TxnOp>& ops) {
  return std::any_of(ops.begin(), ops.end(),
                     [](const TxnOp& op) { return op.kind != TxnOp::Kind::kRange; });
}

const char* StateName(grpc_connectivity_state state) {
  switch (state) {
    case GRPC_CHANNEL_IDLE: return "IDLE";
    case GRPC_CHANNEL_CONNECTING: return "CONNECTING";
    case GRPC_CHANNEL_READY: return "READY";
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return "TRANSIENT_FAILURE";
    case GRPC_CHANNEL_SHUTDOWN: return "SHUTDOWN";
  }
  return "?";
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(EtcdClientOptions options) {
  if (options.endpoints.empty()) return absl::InvalidArgumentError("etcd: no endpoint given");
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError("etcd: a client certificate needs both cert and key files");
  }
  if (options.call_timeout <= absl::ZeroDuration() ||
      options.dial_timeout <= absl::ZeroDuration() ||
      options.attempt_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("etcd: timeouts must be positive");
  }
  auto client = absl::WrapUnique(new EtcdClient(std::move(options)));
  absl::Status s = client->InitChannels();
  if (!s.ok()) return s;
  return client;
}

EtcdClient::EtcdClient(EtcdClientOptions options) : options_(std::move(options)) {}

EtcdClient::~EtcdClient() = default;

absl::Status EtcdClient::InitChannels() {
  std::shared_ptr<grpc::ChannelCredentials> tls;
  for (const std::string& url : options_.endpoints) {
    bool use_tls = false;
    std::string target;
    absl::Status s = ParseEndpoint(url, &use_tls, &target);
    if (!s.ok()) return s;
    if (use_tls && tls == nullptr) {
      grpc::SslCredentialsOptions ssl;
      if (!options_.ca_file.empty()) {
        auto ca = ReadPem(options_.ca_file, "CA file");
        if (!ca.ok()) return ca.status();
        ssl.pem_root_certs = *std::move(ca);
      }
      if (!options_.cert_file.empty()) {
        auto cert = ReadPem(options_.cert_file, "certificate file");
        if (!cert.ok()) return cert.status();
        auto key = ReadPem(options_.key_file, "key file");
        if (!key.ok()) return key.status();
        ssl.pem_cert_chain = *std::move(cert);
        ssl.pem_private_key = *std::move(key);
      }
      tls = grpc::SslCredentials(ssl);
    }
    grpc::ChannelArguments args;
    // Range answers can be large; etcd's own client accepts any size too.
    args.SetMaxReceiveMessageSize(-1);
    // After a member restarts, reconnect within a second (gRPC's default back-off grows to 2
    // minutes, longer than any call's deadline).
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Notice a member that stopped answering (a watch is otherwise silent forever). etcd refuses
    // pings more often than every 5 s (--grpc-keepalive-min-time).
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    // This client's connections are its own, not shared with other channels to the same address.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto ep = std::make_unique<Endpoint>();
    ep->url = url;
    ep->channel = grpc::CreateCustomChannel(
        target, use_tls ? tls : grpc::InsecureChannelCredentials(), args);
    ep->kv = etcdserverpb::KV::NewStub(ep->channel);
    ep->maintenance = etcdserverpb::Maintenance::NewStub(ep->channel);
    ep->cluster = etcdserverpb::Cluster::NewStub(ep->channel);
    ep->auth = etcdserverpb::Auth::NewStub(ep->channel);
    endpoints_.push_back(std::move(ep));
  }
  return absl::OkStatus();
}

grpc::Status EtcdClient::Connect(Endpoint& ep, absl::Time deadline, bool wait_through_failure) {
  grpc_connectivity_state state = ep.channel->GetState(/*try_to_connect=*/true);
  bool waited_through_failure = false;
  for (int i = 0; i < kMaxConnectStateChanges; ++i) {
    if (state == GRPC_CHANNEL_READY) return grpc::Status::OK;
    if (state == GRPC_CHANNEL_SHUTDOWN) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not connected: channel shut down");
    }
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE) {
      if (!wait_through_failure || waited_through_failure) {
        return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "not connected: the connection attempt failed");
      }
      waited_through_failure = true;
    }
    if (!ep.channel->WaitForStateChange(state, absl::ToChronoTime(deadline))) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("not connected within the dial timeout (",
                                       StateName(state), ")"));
    }
    state = ep.channel->GetState(/*try_to_connect=*/true);
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not connected: the connection flaps");
}

grpc::Status EtcdClient::Token(Endpoint& ep, absl::Time deadline, AuthMode mode,
                               std::string* token) {
  token->clear();
  if (options_.user.empty()) return grpc::Status::OK;
  {
    ReaderMutexLock lock(&mu_);
    if (!token_.empty()) {
      *token = token_;
      return grpc::Status::OK;
    }
    if (mode == AuthMode::kCachedOnly || (mode == AuthMode::kIfNeeded && auth_disabled_)) {
      return grpc::Status::OK;
    }
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  context.AddMetadata("hasleader", "true");
  etcdserverpb::AuthenticateRequest request;
  request.set_name(options_.user);
  request.set_password(options_.password);
  etcdserverpb::AuthenticateResponse response;
  grpc::Status s = ep.auth->Authenticate(&context, request, &response);
  if (!s.ok()) {
    if (absl::StrContains(s.error_message(), "authentication is not enabled")) {
      // Like clientv3: an etcd without auth takes requests without a token. Should auth be
      // enabled later, etcd's "user name is empty" brings us back here.
      MutexLock lock(&mu_);
      auth_disabled_ = true;
      return grpc::Status::OK;
    }
    return s;
  }
  authentications_.fetch_add(1, std::memory_order_relaxed);
  MutexLock lock(&mu_);
  token_ = response.token();
  auth_disabled_ = false;
  *token = token_;
  return grpc::Status::OK;
}

void EtcdClient::DropToken(const std::string& token) {
  MutexLock lock(&mu_);
  if (token_ == token) token_.clear();
}

EtcdClient::Endpoint* EtcdClient::FindEndpoint(const std::string& url) {
  for (auto& ep : endpoints_) {
    if (ep->url == url) return ep.get();
  }
  return nullptr;
}

absl::Status EtcdClient::Call(const char* method, CallKind kind, Endpoint* only,
                              const Attempt& attempt) {
  const absl::Time deadline = absl::Now() + options_.call_timeout;
  const bool write = kind == CallKind::kWrite;
  const size_t n = only != nullptr ? 1 : endpoints_.size();
  size_t index = 0;
  if (only == nullptr) {
    ReaderMutexLock lock(&mu_);
    index = current_;
  }
  size_t hops = 0;  // endpoints moved past in this call
  absl::Duration backoff = options_.initial_backoff;
  AuthMode auth_mode = kind == CallKind::kLocal ? AuthMode::kCachedOnly : AuthMode::kIfNeeded;
  bool reauthenticated = false;
  std::vector<std::string> causes(n);
  int attempts = 0;
  std::string last_cause;

  for (; attempts < kMaxAttemptsPerCall; ++attempts) {
    const absl::Time now = absl::Now();
    if (now >= deadline) break;
    Endpoint& ep = only != nullptr ? *only : *endpoints_[index];
    const std::string what = absl::StrCat(method, " at ", ep.url);
    // Records why this endpoint failed and moves to the next one; after every endpoint failed
    // once, waits a back-off first (bounded by the deadline).
    auto move_on = [&](const std::string& cause) {
      causes[only != nullptr ? 0 : index] = cause;
      last_cause = absl::StrCat(ep.url, ": ", cause);
      ++hops;
      if (n > 1) {
        index = (index + 1) % n;
        failovers_.fetch_add(1, std::memory_order_relaxed);
      }
      if (hops >= n) {
        absl::Duration left = deadline - absl::Now();
        if (left > absl::ZeroDuration()) absl::SleepFor(std::min(backoff, left));
        backoff = std::min(backoff * 2, options_.max_backoff);
      }
    };

    // A connection that is not there yet: nothing is sent, so even a write can go elsewhere.
    grpc::Status s = Connect(ep, std::min(deadline, now + options_.dial_timeout),
                             /*wait_through_failure=*/hops >= n);
    if (!s.ok()) {
      if (only != nullptr) {
        last_cause = s.error_message();
        break;
      }
      move_on(s.error_message());
      continue;
    }
    const absl::Time attempt_deadline =
        write ? deadline : std::min(deadline, absl::Now() + options_.attempt_timeout);
    std::string token;
    s = Token(ep, attempt_deadline, auth_mode, &token);
    if (!s.ok()) {
      EtcdFailure failure = ClassifyEtcdFailure(s);
      if (failure == EtcdFailure::kFinal || failure == EtcdFailure::kStaleToken ||
          only != nullptr) {
        return EtcdStatusToAbsl(s, absl::StrCat("Authenticate at ", ep.url), /*write=*/false);
      }
      move_on(absl::StrCat("Authenticate: ", s.error_message()));
      continue;
    }

    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(attempt_deadline));
    if (kind != CallKind::kLocal) context.AddMetadata("hasleader", "true");
    if (!token.empty()) context.AddMetadata("token", token);
    s = attempt(ep, &context, token, attempt_deadline);
    if (s.ok()) {
      if (only == nullptr) {
        MutexLock lock(&mu_);
        current_ = index;
      }
      return absl::OkStatus();
    }
    switch (ClassifyEtcdFailure(s)) {
      case EtcdFailure::kStaleToken:
        if (!options_.user.empty() && !reauthenticated) {
          // Same member again, with a fresh token; etcd did not act on the request.
          reauthenticated = true;
          DropToken(token);
          auth_mode = AuthMode::kForce;
          continue;
        }
        return EtcdStatusToAbsl(s, what, write);
      case EtcdFailure::kNotApplied:
        if (only != nullptr) return EtcdStatusToAbsl(s, what, write);
        move_on(s.error_message());
        continue;
      case EtcdFailure::kTransient:
        if (write || only != nullptr) {
          absl::Status out = EtcdStatusToAbsl(s, what, write);
          if (last_cause.empty()) return out;
          return absl::Status(out.code(),
                              absl::StrCat(out.message(), "; before that ", last_cause));
        }
        move_on(s.error_message());
        continue;
      case EtcdFailure::kFinal:
        return EtcdStatusToAbsl(s, what, write);
    }
  }

  if (only != nullptr) {
    return absl::UnavailableError(absl::StrCat("etcd: ", method, " at ", only->url,
                                               ": no answer: ", last_cause));
  }
  std::vector<std::string> tried;
  for (size_t i = 0; i < n; ++i) {
    if (!causes[i].empty()) tried.push_back(absl::StrCat(endpoints_[i]->url, " (", causes[i], ")"));
  }
  return absl::UnavailableError(absl::StrCat(
      "etcd: ", method, ": no member answered within ", absl::FormatDuration(options_.call_timeout),
      " (", attempts, " attempts); tried ", absl::StrJoin(tried, ", "), "; last: ", last_cause));
}

absl::StatusOr<RangeResult> EtcdClient::Range(const std::string& key,
                                              const RangeOptions& options) {
  etcdserverpb::RangeRequest request;
  ToProto(key, options, &request);
  etcdserverpb::RangeResponse response;
  absl::Status s = Call("Range", CallKind::kRead, nullptr,
                        [&](Endpoint& ep, grpc::ClientContext* context, const std::string&,
                            absl::Time) { return ep.kv->Range(context, request, &response); });
  if (!s.ok()) return s;
  return FromProto(response);
}

absl::StatusOr<int64_t> EtcdClient::Put(const std::string& key, const std::string& value) {
  etcdserverpb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  etcdserverpb::PutResponse response;
  absl::Status s = Call("Put", CallKind::kWrite, nullptr,
                        [&](Endpoint& ep, grpc::ClientContext* context, const std::string&,
                            absl::Time) { return ep.kv->Put(context, request, &response); });
  if (!s.ok()) return s;
  return response.header().revision();
}

absl::StatusOr<TxnResult> EtcdClient::Txn(const std::vector<Compare>& compares,
                                          const std::vector<TxnOp>& then,
                                          const std::vector<TxnOp>& otherwise) {
  etcdserverpb::TxnRequest request;
  for (const Compare& c : compares) ToProto(c, request.add_compare());
  for (const TxnOp& op : then) ToProto(op, request.add_success());
  for (const TxnOp& op : otherwise) ToProto(op, request.add_failure());
  const bool write = HasWrite(then) || HasWrite(otherwise);
  etcdserverpb::TxnResponse response;
  absl::Status s = Call("Txn", write ? CallKind::kWrite : CallKind::kRead, nullptr,
                        [&](Endpoint& ep, grpc::ClientContext* context, const std::string&,
                            absl::Time) { return ep.kv->Txn(context, request, &response); });
  if (!s.ok()) return s;
  TxnResult out;
  out.succeeded = response.succeeded();
  out.revision = response.header().revision();
  for (const etcdserverpb::ResponseOp& r : response.responses()) {
    TxnResult::Response item;
    if (r.has_response_range()) {
      item.kind = TxnOp::Kind::kRange;
      item.range = FromProto(r.response_range());
      // Inside a Txn etcd leaves the per-operation header empty: the txn's revision applies.
      item.range.revision = out.revision;
    } else if (r.has_response_delete_range()) {
      item.kind = TxnOp::Kind::kDeleteRange;
      item.deleted = r.response_delete_range().deleted();
    }
    out.responses.push_back(std::move(item));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<EtcdWatch>> EtcdClient::Watch(const WatchOptions& options) {
  std::unique_ptr<EtcdWatch> watch;
  absl::Status s = Call(
      "Watch", CallKind::kRead, nullptr,
      [&](Endpoint& ep, grpc::ClientContext*, const std::string& token, absl::Time deadline) {
        // The watch has a context of its own, open-ended; the attempt deadline bounds only the
        // wait for etcd's "created". A refusal comes back as the cancel reason, which carries
        // etcd's usual error strings ("etcdserver: invalid auth token", "... permission
        // denied"), so Call classifies it like a unary call's error.
        grpc::Status failure;
        watch = EtcdWatch::Open(ep.channel, ep.url, token, options, deadline, &failure);
        return watch != nullptr ? grpc::Status::OK : failure;
      });
  if (!s.ok()) return s;
  return std::move(watch);
}

absl::Status EtcdClient::Compact(int64_t revision, bool physical) {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(physical);
  etcdserverpb::CompactionResponse response;
  return Call("Compact", CallKind::kWrite, nullptr,
              [&](Endpoint& ep, grpc::ClientContext* context, const std::string&, absl::Time) {
                return ep.kv->Compact(context, request, &response);
              });
}

absl::StatusOr<MemberStatus> EtcdClient::Status(const std::string& endpoint) {
  Endpoint* ep = FindEndpoint(endpoint);
  if (ep == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("etcd: ", endpoint, " is not an endpoint"));
  }
  etcdserverpb::StatusRequest request;
  etcdserverpb::StatusResponse response;
  absl::Status s = Call("Status", CallKind::kLocal, ep,
                        [&](Endpoint& e, grpc::ClientContext* context, const std::string&,
                            absl::Time) {
                          return e.maintenance->Status(context, request, &response);
                        });
  if (!s.ok()) return s;
  MemberStatus out;
  out.endpoint = endpoint;
  out.member_id = response.header().member_id();
  out.leader = response.leader();
  out.raft_index = response.raftindex();
  out.raft_term = response.raftterm();
  out.raft_applied_index = response.raftappliedindex();
  out.db_size = response.dbsize();
  out.db_size_in_use = response.dbsizeinuse();
  out.version = response.version();
  out.errors.assign(response.errors().begin(), response.errors().end());
  return out;
}

absl::Status EtcdClient::Defragment(const std::string& endpoint) {
  Endpoint* ep = FindEndpoint(endpoint);
  if (ep == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("etcd: ", endpoint, " is not an endpoint"));
  }
  etcdserverpb::DefragmentRequest request;
  etcdserverpb::DefragmentResponse response;
  return Call("Defragment", CallKind::kLocal, ep,
              [&](Endpoint& e, grpc::ClientContext* context, const std::string&, absl::Time) {
                return e.maintenance->Defragment(context, request, &response);
              });
}

absl::StatusOr<std::vector<Member>> EtcdClient::MemberList() {
  etcdserverpb::MemberListRequest request;
  etcdserverpb::MemberListResponse response;
  absl::Status s = Call("MemberList", CallKind::kLocal, nullptr,
                        [&](Endpoint& ep, grpc::ClientContext* context, const std::string&,
                            absl::Time) {
                          return ep.cluster->MemberList(context, request, &response);
                        });
  if (!s.ok()) return s;
  std::vector<Member> out;
  for (const etcdserverpb::Member& m : response.members()) {
    Member member;
    member.id = m.id();
    member.name = m.name();
    member.peer_urls.assign(m.peerurls().begin(), m.peerurls().end());
    member.client_urls.assign(m.clienturls().begin(), m.clienturls().end());
    member.is_learner = m.islearner();
    out.push_back(std::move(member));
  }
  return out;
}

std::string EtcdClient::current_endpoint() const {
  ReaderMutexLock lock(&mu_);
  return endpoints_[current_]->url;
}

EtcdClient::Stats EtcdClient::stats() const {
  Stats s;
  s.authentications = authentications_.load(std::memory_order_relaxed);
  s.failovers = failovers_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace authd::storage::etcd
