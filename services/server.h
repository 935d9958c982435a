// AuthdServer: assembles authd: the TokenStore on RocksDB, the in-memory index and sessions, the
// gRPC services, health and reflection; then serves until Shutdown. Owns everything it builds.
// Thread-safe: Shutdown may be called from any thread, any number of times (the first one acts).
#ifndef AUTHD_SERVICES_SERVER_H_
#define AUTHD_SERVICES_SERVER_H_

#include <grpcpp/server.h>

#include <atomic>
#include <thread>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "authz/session_table.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "base/mutex.h"
#include "net/h2_front.h"
#include "services/lifecycle_worker.h"
#include "services/password_hasher.h"
#include "services/server_options.h"
#include "services/service_deps.h"
#include "services/watch_hub.h"
#include "http/http_server.h"
#include "http/influx_api.h"
#include "storage/token_store.h"

namespace authd::services {

inline constexpr char kAuthdVersion[] = "0.1.0";

// The fully qualified names of authd's gRPC services (also their health-check names).
const std::vector<std::string>& AuthdServiceNames();

class AuthdServer {
 public:
  // Binds the address (not yet listening, so clients are refused until authd is ready), opens the
  // store (failing fast if another process holds the data dir), loads the index and starts
  // serving through the HTTP/2 front (net/h2_front.h). Errors: those of TokenStore::Open;
  // kUnavailable if the address cannot be bound; kInvalidArgument for bad TLS files.
  static absl::StatusOr<std::unique_ptr<AuthdServer>> Start(const ServerOptions& options,
                                                            const Clock* clock);
  ~AuthdServer();

  // The bound address, e.g. "127.0.0.1:43211".
  const std::string& address() const { return info_.listen; }
  int port() const { return port_; }
  // The HTTP API's bound port (--http-listen), 0 when it is off.
  int http_port() const;

  // Reports NOT_SERVING, stops accepting, lets in-flight calls finish for up to `grace`, then
  // flushes and closes the store.
  void Shutdown(absl::Duration grace);

 private:
  AuthdServer() = default;

  ServerInfo info_;
  int port_ = 0;
  const Clock* clock_ = nullptr;
  std::unique_ptr<authz::TokenIndex> index_;
  std::unique_ptr<authz::SessionTable> sessions_;
  std::unique_ptr<storage::TokenStore> store_;
  // Owns the listening socket; hands connections to server_. Shutdown() stops them in order.
  std::unique_ptr<net::H2Front> front_;
  std::unique_ptr<CallerAuthenticator> auth_;
  std::unique_ptr<PasswordHasher> passwords_;
  // Feeds WatchAuthorizations streams; stopped (ending them) before gRPC drains.
  std::unique_ptr<WatchHub> watch_hub_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  // InfluxDB's /api/v2 (docs/adr/0006-http-api.md): calls server_ in-process; stopped first.
  std::unique_ptr<http::InfluxApi> http_api_;
  std::unique_ptr<http::HttpServer> http_;
  // Expiry sweeper, last-used flusher (and the test clock): stopped after the last call.
  std::unique_ptr<LifecycleWorker> lifecycle_;
  // Set by the first Shutdown (an exchange, so two concurrent calls cannot both act).
  std::atomic<bool> shut_down_{false};

  // Readiness of a replica (etcd mode): NOT_SERVING while it lags more than max_replica_lag.
  void WatchReplication(absl::Duration max_lag);
  Mutex replication_mu_;
  CondVar replication_cv_;
  bool replication_stop_ ABSL_GUARDED_BY(replication_mu_) = false;
  std::thread replication_watcher_;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_SERVER_H_
