#include "services/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_posix.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "authz/token.h"
#include "base/log.h"
#include "base/status_macros.h"
#include "grpc/health/v1/health.pb.h"
#include "services/admin_service.h"
#include "services/authorization_service.h"
#include "services/authorize_service.h"
#include "services/ext_authz_service.h"
#include "services/server_limits.h"
#include "services/session_service.h"
#include "services/setup_service.h"
#include "services/tenant_service.h"
#include "services/unparsable_request.h"

namespace authd::services {

const std::vector<std::string>& AuthdServiceNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "authd.v1.SetupService",         "authd.v1.SessionService",   "authd.v1.TenantService",
      "authd.v1.AuthorizationService", "authd.v1.AuthorizeService", "authd.v1.AdminService",
      "envoy.service.auth.v3.Authorization"};
  return *kNames;
}

namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view option) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return absl::InvalidArgumentError(absl::StrCat(option, ": cannot read ", path));
  }
  if (ss.str().find("-----BEGIN ") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(option, ": ", path, " is not a PEM file"));
  }
  return ss.str();
}

// gRPC's own listener's credentials (--http2-front=false only): plaintext, TLS or mutual TLS.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> GrpcCredentialsFor(
    const ServerOptions& options) {
  if (options.tls_cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  AUTHD_ASSIGN_OR_RETURN(pair.cert_chain, ReadPem(options.tls_cert, "--tls-cert"));
  AUTHD_ASSIGN_OR_RETURN(pair.private_key, ReadPem(options.tls_key, "--tls-key"));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!options.tls_client_ca.empty()) {
    AUTHD_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPem(options.tls_client_ca, "--tls-client-ca"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// The HTTP/2 front's options: where to listen, its limits, and TLS (plaintext, TLS, or mutual
// TLS; the files are checked to be PEM here so the errors name the option).
absl::StatusOr<net::FrontOptions> FrontOptionsFor(const ServerOptions& options) {
  net::FrontOptions front = FrontOptionsFromServerOptions(options);
  if (options.tls_cert.empty()) return front;
  AUTHD_RETURN_IF_ERROR(ReadPem(options.tls_cert, "--tls-cert").status());
  AUTHD_RETURN_IF_ERROR(ReadPem(options.tls_key, "--tls-key").status());
  front.tls.cert_chain = options.tls_cert;
  front.tls.private_key = options.tls_key;
  if (!options.tls_client_ca.empty()) {
    AUTHD_RETURN_IF_ERROR(ReadPem(options.tls_client_ca, "--tls-client-ca").status());
    front.tls.client_ca = options.tls_client_ca;
  }
  return front;
}

// AUTHD_INIT_*: setup at first start, a no-op afterwards. Never logs the values.
absl::Status Bootstrap(const ServerOptions& options, storage::TokenStore* store,
                       PasswordHasher* passwords) {
  if (options.init_username.empty()) return absl::OkStatus();
  AUTHD_ASSIGN_OR_RETURN(bool allowed, store->SetupAllowed());
  if (!allowed) {
    LogInfo("bootstrap: setup already done, AUTHD_INIT_* ignored");
    return absl::OkStatus();
  }
  authd::v1::SetupRequest request;
  request.set_username(options.init_username);
  request.set_password(options.init_password);
  request.set_org(options.init_org);
  request.set_bucket(options.init_bucket);
  request.set_token(options.init_token);
  request.set_retention_period_seconds(options.init_retention_seconds);
  authd::v1::SetupResponse response;
  absl::Status s = PerformSetup(store, passwords, CallBudget::Unlimited(), request, &response);
  if (absl::IsFailedPrecondition(s)) {
    // Replicas on etcd start in parallel with the same AUTHD_INIT_*: one of them sets up, and the
    // others find it done between their check and their own setup. The outcome is the same, but
    // only when setup really is done now (another refusal, e.g. writes refused, is an error).
    absl::StatusOr<bool> still_allowed = store->SetupAllowed();
    if (still_allowed.ok() && !*still_allowed) {
      LogInfo("bootstrap: setup was completed meanwhile (by another replica), AUTHD_INIT_* ignored");
      return absl::OkStatus();
    }
  }
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("bootstrap from AUTHD_INIT_*: ", s.message()));
  }
  LogInfo(absl::StrCat("bootstrap: setup completed from AUTHD_INIT_* (operator authorization_id=",
                       response.authorization().id(),
                       options.init_token.empty() ? "; token generated and not shown: sign in "
                                                    "with the user's password to mint one)"
                                                  : ")"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuthdServer>> AuthdServer::Start(const ServerOptions& options,
                                                                const Clock* clock) {
  // Bad TLS files or an address that cannot be bound stop start-up before the store is touched.
  std::unique_ptr<AuthdServer> s(new AuthdServer());
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials;
  if (options.http2_front) {
    AUTHD_ASSIGN_OR_RETURN(net::FrontOptions front_options, FrontOptionsFor(options));
    AUTHD_ASSIGN_OR_RETURN(s->front_, net::H2Front::Create(front_options));
    s->port_ = s->front_->port();
  } else {
    AUTHD_ASSIGN_OR_RETURN(grpc_credentials, GrpcCredentialsFor(options));
  }
  s->clock_ = clock;
  // Envoy's ext_authz Check: the route table is read before the store is touched, so a bad file
  // stops start-up with its error.
  auto ext_authz = std::make_shared<ExtAuthzOptions>();
  if (!options.ext_authz_routes.empty()) {
    absl::StatusOr<ExtAuthzRouteTable> routes = ExtAuthzRouteTable::Load(options.ext_authz_routes);
    if (!routes.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--ext-authz-routes: ", routes.status().message()));
    }
    ext_authz->routes = *std::move(routes);
  }
  ext_authz->header_prefix = options.ext_authz_header_prefix;
  ext_authz->remove_authorization = options.ext_authz_remove_authorization;
  // --last-used-interval=0: uses are neither marked nor recorded.
  s->index_ = std::make_unique<authz::TokenIndex>(
      /*record_usage=*/options.last_used_interval > absl::ZeroDuration());
  s->sessions_ = std::make_unique<authz::SessionTable>(clock, options.session_ttl);

  storage::TokenStoreOptions store_options;
  store_options.data_dir = options.data_dir;
  store_options.use_hashed_tokens = options.use_hashed_tokens;
  store_options.max_token_lifetime_nanos = absl::ToInt64Nanoseconds(options.max_token_lifetime);
  if (!options.etcd_endpoints.empty()) {
    storage::etcd::EtcdEventLogOptions etcd;
    etcd.client.endpoints = options.etcd_endpoints;
    etcd.client.ca_file = options.etcd_ca_file;
    etcd.client.cert_file = options.etcd_cert_file;
    etcd.client.key_file = options.etcd_key_file;
    etcd.client.user = options.etcd_user;
    etcd.client.password = options.etcd_password;
    etcd.prefix = options.etcd_prefix;
    etcd.snapshot_every = options.etcd_snapshot_every;
    etcd.open_timeout = options.etcd_start_timeout;
    store_options.etcd = std::move(etcd);
    s->info_.event_log = "etcd";
    s->info_.etcd_endpoints = options.etcd_endpoints;
    s->info_.etcd_prefix = options.etcd_prefix;
  }
  absl::Time opened = clock->Now();
  AUTHD_ASSIGN_OR_RETURN(s->store_, storage::TokenStore::Open(store_options, clock, s->index_.get()));
  const storage::OpenReport& report = s->store_->open_report();
  LogInfo(absl::StrCat("store open: data_dir=", options.data_dir, " event_log=", s->info_.event_log,
                       " last_sequence=", s->store_->LastSequence(),
                       " tokens=", s->index_->size(),
                       " use_hashed_tokens=", options.use_hashed_tokens ? "true" : "false",
                       " took=", absl::FormatDuration(clock->Now() - opened)));
  if (report.upgraded_from_schema != 0) {
    LogInfo(absl::StrCat("store upgraded from schema ", report.upgraded_from_schema, " to ",
                         s->store_->schema_version()));
  }
  if (report.migrated_raw_tokens > 0) {
    LogInfo(absl::StrCat("migrated raw tokens to hashed tokens: count=",
                         report.migrated_raw_tokens));
  }
  if (!options.use_hashed_tokens && report.hashed_tokens > 0) {
    LogWarning(absl::StrCat(
        "token hashing is disabled, but hashed tokens were found in the store (count=",
        report.hashed_tokens,
        "); they keep working. Was authd started with --use-hashed-tokens=false by mistake?"));
  }

  // Proves, per process, that `authd-http-peer` metadata comes from our own HTTP API.
  const std::string http_peer_secret = options.http_listen.empty() ? "" : authz::GenerateToken();
  s->auth_ = std::make_unique<CallerAuthenticator>(s->index_.get(), s->sessions_.get(),
                                                   s->front_.get(), http_peer_secret);
  s->passwords_ = std::make_unique<PasswordHasher>(options.max_concurrent_password_hashes);
  s->info_.version = kAuthdVersion;
  s->info_.data_dir = options.data_dir;
  s->info_.use_hashed_tokens = options.use_hashed_tokens;
  s->info_.log_level = options.log_level;
  s->info_.session_ttl = options.session_ttl;
  s->info_.max_token_lifetime = options.max_token_lifetime;
  s->info_.last_used_interval = options.last_used_interval;
  s->info_.expired_token_retention = options.expired_token_retention;
  s->info_.limits = ServerLimitsProto(options);

  AUTHD_RETURN_IF_ERROR(Bootstrap(options, s->store_.get(), s->passwords_.get()));

  ServiceDeps deps;
  deps.store = s->store_.get();
  deps.index = s->index_.get();
  deps.sessions = s->sessions_.get();
  deps.auth = s->auth_.get();
  deps.clock = clock;
  deps.info = &s->info_;
  deps.passwords = s->passwords_.get();
  s->services_.push_back(std::make_unique<SetupServiceImpl>(deps));
  s->services_.push_back(std::make_unique<SessionServiceImpl>(deps));
  s->services_.push_back(std::make_unique<TenantServiceImpl>(deps));
  WatchHubOptions watch_options;
  watch_options.max_watchers = static_cast<size_t>(options.max_watch_streams);
  watch_options.stall_timeout = options.watch_stall_timeout;
  s->watch_hub_ = std::make_unique<WatchHub>(deps, watch_options);
  s->watch_hub_->Start();
  s->services_.push_back(std::make_unique<AuthorizationServiceImpl>(deps, s->watch_hub_.get()));
  s->services_.push_back(std::make_unique<AuthorizeServiceImpl>(deps));
  s->services_.push_back(std::make_unique<AdminServiceImpl>(deps));
  s->services_.push_back(std::make_unique<ExtAuthzServiceImpl>(deps, std::move(ext_authz)));

  // Reflection clients can describe grpc.health.v1.Health only if its descriptor is linked in.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  // No listening port of gRPC's own: every connection comes through the front (net/h2_front.h),
  // unless it is turned off (then gRPC 1.51 faces clients alone: docs/adr/0004).
  grpc::ServerBuilder builder;
  if (s->front_ == nullptr) builder.AddListeningPort(options.listen, grpc_credentials, &s->port_);
  ApplyServerLimits(options, &builder);
  for (auto& service : s->services_) builder.RegisterService(service.get());
  // A request that does not parse (e.g. invalid UTF-8 in a string field) is INVALID_ARGUMENT.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<UnparsableRequestInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  if (s->front_ != nullptr) {
    grpc::Server* server = s->server_.get();
    AUTHD_RETURN_IF_ERROR(
        s->front_->Start([server](int fd) { grpc::AddInsecureChannelFromFd(server, fd); }));
  } else {
    LogWarning("--http2-front=false: gRPC 1.51 serves clients without authd's HTTP/2 front; one "
               "client can exhaust its memory (docs/adr/0004-http2-front.md). Use it only behind "
               "a proxy that enforces HTTP/2 limits, or for comparison.");
  }
  std::string host = options.listen.substr(0, options.listen.rfind(':'));
  s->info_.listen = absl::StrCat(host, ":", s->port_);
  LogInfo(absl::StrCat("overload bounds: max-sync-threads=", options.max_sync_threads,
                       " max-concurrent-streams=", options.max_concurrent_streams,
                       " grpc-memory-quota-bytes=", options.grpc_memory_quota_bytes,
                       " max-concurrent-password-hashes=", options.max_concurrent_password_hashes,
                       " max-connections=", options.max_connections,
                       " max-connections-per-peer=", options.max_connections_per_peer,
                       " max-stream-resets-per-second=", options.max_stream_resets_per_second));

  if (!options.http_listen.empty()) {
    http::InfluxApiOptions api;
    api.version = kAuthdVersion;
    api.tls = !options.tls_cert.empty();
    api.peer_secret = http_peer_secret;
    s->http_api_ = std::make_unique<http::InfluxApi>(
        s->server_->InProcessChannel(grpc::ChannelArguments()), api);
    http::HttpServerOptions http_options;
    http_options.listen = options.http_listen;
    http_options.max_connections = options.http_max_connections;
    http_options.max_connections_per_peer = options.http_max_connections_per_peer;
    http_options.max_body_bytes = options.max_receive_message_bytes;
    http_options.idle_timeout = options.http_idle_timeout;
    http_options.request_timeout = options.http_request_timeout;
    http_options.workers = options.http_workers;
    http_options.tls_cert_file = options.tls_cert;
    http_options.tls_key_file = options.tls_key;
    http_options.tls_client_ca_file = options.tls_client_ca;
    http::InfluxApi* api_raw = s->http_api_.get();
    AUTHD_ASSIGN_OR_RETURN(
        s->http_, http::HttpServer::Start(http_options, [api_raw](const http::HttpRequest& r) {
          return api_raw->Handle(r);
        }));
    const std::string http_host = options.http_listen.substr(0, options.http_listen.rfind(':'));
    LogInfo(absl::StrCat("HTTP API (InfluxDB /api/v2) at ", api.tls ? "https://" : "http://",
                         http_host, ":",
                         s->http_->port(), "/ max-connections=", options.http_max_connections,
                         " max-connections-per-peer=", options.http_max_connections_per_peer,
                         " workers=", options.http_workers));
  }

  grpc::HealthCheckServiceInterface* health = s->server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  for (const std::string& name : AuthdServiceNames()) health->SetServingStatus(name, true);
  LifecycleOptions lifecycle;
  lifecycle.last_used_interval = options.last_used_interval;
  lifecycle.clock_offset_file = options.clock_offset_file;
  lifecycle.expired_token_retention = options.expired_token_retention;
  s->lifecycle_ = std::make_unique<LifecycleWorker>(s->store_.get(), s->index_.get(), lifecycle);
  s->lifecycle_->Start();
  if (s->store_->Replication().replicated) {
    AuthdServer* raw = s.get();
    const absl::Duration max_lag = options.max_replica_lag;
    s->replication_watcher_ = std::thread([raw, max_lag] { raw->WatchReplication(max_lag); });
  }
  return s;
}

void AuthdServer::WatchReplication(absl::Duration max_lag) {
  constexpr absl::Duration kInterval = absl::Seconds(1);
  // etcd unreachable this long is said in the log (then every kStaleReport), with how stale the
  // answers may be; it does not change readiness: every replica would go at once.
  constexpr absl::Duration kStaleAfter = absl::Seconds(10);
  constexpr absl::Duration kStaleReport = absl::Seconds(30);
  bool serving = true;
  absl::Time last_stale_report = absl::InfinitePast();
  for (;;) {
    {
      MutexLock lock(&replication_mu_);
      if (!replication_stop_) replication_cv_.WaitWithTimeout(&replication_mu_, kInterval);
      if (replication_stop_) return;
    }
    const storage::ReplicationStatus status = store_->Replication();
    const bool lagging = status.behind_for > max_lag || !status.stopped.ok();
    if (lagging == serving) {
      serving = !lagging;
      grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
      health->SetServingStatus("", serving);
      for (const std::string& name : AuthdServiceNames()) health->SetServingStatus(name, serving);
      if (!status.stopped.ok()) {
        LogWarning(absl::StrCat("health: NOT_SERVING: replication stopped at position ",
                                status.applied, " (", status.stopped.message(),
                                "); restart this replica once the cause is fixed"));
      } else if (lagging) {
        LogWarning(absl::StrCat("health: NOT_SERVING: applied through ", status.applied,
                                ", but position ", status.known_head, " has existed for ",
                                absl::FormatDuration(status.behind_for),
                                " (over --max-replica-lag ", absl::FormatDuration(max_lag), ")"));
      } else {
        LogInfo(absl::StrCat("health: SERVING again: caught up through ", status.applied));
      }
    }
    const absl::Time now = absl::Now();
    if (status.since_contact > kStaleAfter && now - last_stale_report >= kStaleReport) {
      last_stale_report = now;
      LogWarning(absl::StrCat("etcd has not answered for ", absl::FormatDuration(status.since_contact),
                              ": writes fail; Authorize answers from the state applied through "
                              "position ", status.applied));
    }
  }
}

void AuthdServer::Shutdown(absl::Duration grace) {
  if (shut_down_.exchange(true)) return;
  {
    MutexLock lock(&replication_mu_);
    replication_stop_ = true;
    replication_cv_.SignalAll();
  }
  if (replication_watcher_.joinable()) replication_watcher_.join();
  // HTTP first: its handlers call server_ in-process.
  if (http_ != nullptr) http_->Shutdown();
  // Start may have failed half-way: tear down only what exists. The front keeps carrying bytes
  // while gRPC drains (its GOAWAYs and the last responses), and stops after it.
  if (front_ != nullptr) front_->StopAccepting();
  // Watch streams never end by themselves: end them (UNAVAILABLE, "resume elsewhere") first.
  if (watch_hub_ != nullptr) watch_hub_->Stop();
  if (server_ != nullptr) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(absl::ToChronoTime(clock_->Now() + grace));
    server_->Wait();
  }
  if (front_ != nullptr) front_->Shutdown();
  // After the last call: its uses are flushed with the rest, before the store closes.
  if (lifecycle_ != nullptr) lifecycle_->Stop();
  if (store_ != nullptr) {
    absl::Status flushed = store_->Flush();
    if (!flushed.ok()) LogError(absl::StrCat("flushing the store at shutdown: ", flushed.message()));
    store_.reset();
  }
}

AuthdServer::~AuthdServer() { Shutdown(absl::Seconds(5)); }

int AuthdServer::http_port() const { return http_ != nullptr ? http_->port() : 0; }

}  // namespace authd::services
