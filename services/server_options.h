// ServerOptions: every setting of the authd server, and the one place they are read: the command
// line, the environment and a YAML/JSON config file, with precedence flag > env > file > default.
// Each option has a flag `--name`, an env var `AUTHD_NAME` and a file key `name`; the file is given
// by `--config` or `AUTHD_CONFIG`. Pure apart from the injected env lookup and reading the file;
// thread-compatible.
#ifndef AUTHD_SERVICES_SERVER_OPTIONS_H_
#define AUTHD_SERVICES_SERVER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace authd::services {

// ServerOptions::etcd_snapshot_every's default (storage::etcd::EtcdEventLogOptions' too).
inline constexpr uint64_t kDefaultEtcdSnapshotEvery = 10000;

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (the bound address is logged).
  // Default: 127.0.0.1:50051.
  std::string listen = "127.0.0.1:50051";
  // The RocksDB data dir. Default: $HOME/.authd/data.
  std::string data_dir;
  // Store new tokens hashed (SHA-256). Default: true.
  bool use_hashed_tokens = true;
  // debug, info, warn, error. Default: info.
  std::string log_level = "info";
  // text or json (one object per line). Default: text.
  std::string log_format = "text";
  // Lifetime of SignIn sessions. Default: 1h.
  absl::Duration session_ttl = absl::Hours(1);
  // Largest request accepted, in bytes. Default: 1 MiB.
  int max_receive_message_bytes = 1 << 20;

  // Token lifecycle (docs/adr/0007, docs/api.md "Token lifecycle").
  // The longest lifetime a token may have (created or extended after it is set); also the default
  // lifetime of tokens created without an expiry. Setup's operator token is exempt. Zero: none.
  // Default: none.
  absl::Duration max_token_lifetime = absl::ZeroDuration();
  // How often uses of tokens (Authorize, API calls) are written to the log as last-used times:
  // `last_used_at` is exact to the second and at most this old. Zero: not recorded. Default: 1m.
  absl::Duration last_used_interval = absl::Minutes(1);
  // Expired tokens are deleted this long after they expired. Zero: kept (listable with
  // `status: expired`, and reactivated by extending them). Default: 0.
  absl::Duration expired_token_retention = absl::ZeroDuration();
  // Test-only (refused unless AUTHD_TESTING=1): a file whose content, a whole number of seconds,
  // authd adds to its clock, re-read every 100 ms, so tests move time without sleeping.
  std::string clock_offset_file;

  // Envoy's external authorization, envoy.service.auth.v3.Authorization/Check (docs/envoy.md).
  // The route table (a YAML file, services/ext_authz_routes.h) mapping method and path to the
  // permission a request needs; requests whose Envoy route sets context_extensions need none.
  // Default: none (such requests are denied 403).
  std::string ext_authz_routes;
  // Prefix of the headers an allowed request gains upstream (authorization-id, user-id, org-id);
  // empty: none. Default: x-authd-.
  std::string ext_authz_header_prefix = "x-authd-";
  // Remove the `authorization` header from allowed requests before they go upstream.
  // Default: false.
  bool ext_authz_remove_authorization = false;

  // WatchAuthorizations streams open at once; more are refused RESOURCE_EXHAUSTED. Each holds at
  // most 1,024 queued messages. Default: 20000.
  int max_watch_streams = 20000;
  // A watch stream whose client takes nothing while messages wait for this long is ended
  // (RESOURCE_EXHAUSTED, or cancelled if a write is stuck). Default: 30s.
  absl::Duration watch_stall_timeout = absl::Seconds(30);

  // Overload bounds (README "Overload"; services/server_limits.h applies the gRPC ones).
  // Threads serving every RPC except Authorize (gRPC's sync-server thread quota). When all but one
  // are busy, the last answers further calls with RESOURCE_EXHAUSTED at once. Minimum 2.
  // Default: 128.
  int max_sync_threads = 128;
  // HTTP/2 streams (calls) one connection may have open at once; a client queues the rest itself.
  // Default: 100.
  int max_concurrent_streams = 100;
  // Memory gRPC itself may hold for connections and calls (buffers, per-call arenas). Near the
  // limit it shrinks flow-control windows, cancels calls with RESOURCE_EXHAUSTED and refuses new
  // connections. Handlers' own memory is not counted. Minimum 8 MiB. Default: 128 MiB.
  int64_t grpc_memory_quota_bytes = int64_t{128} << 20;
  // Argon2id computations (19 MiB each) running at once for sign-in, setup and passwords; more
  // wait for a slot until their deadline. Default: 4.
  int max_concurrent_password_hashes = 4;

  // Serve through authd's own HTTP/2 front (net/h2_front.h: TLS, connection limits, per-frame
  // policing) instead of gRPC's listener. Off only behind a proxy that enforces HTTP/2 limits
  // itself, or to measure the difference (bench/hostile/run.sh). Default: true.
  bool http2_front = true;
  // Hostile-network bounds, enforced by authd's HTTP/2 front before gRPC sees a byte
  // (docs/adr/0004-http2-front.md). Connections open at once. Default: 4096.
  int max_connections = 4096;
  // Connections open at once from one client address (an IPv6 /64). Behind a proxy that hides
  // client addresses, every client is one peer: raise it there. Default: 512.
  int max_connections_per_peer = 512;
  // New connections one address may open per second (twice as many in a burst). Default: 64.
  int new_connections_per_peer_per_second = 64;
  // Streams a connection may cancel (RST_STREAM) per second, twice as many in a burst; more is
  // the rapid-reset attack and closes the connection with GOAWAY. Default: 100.
  int max_stream_resets_per_second = 100;
  // Time from accept to a complete HTTP/2 preface, TLS handshake included. Default: 10s.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // How long a client may leave responses unsent (not reading, or a zero flow-control window)
  // before its connection is closed. Default: 5s.
  absl::Duration client_stall_timeout = absl::Seconds(5);

  // TLS: PEM files of the server's certificate chain and private key. Both or neither; when set,
  // the server speaks only TLS. Default: empty (plaintext, for loopback and meshes).
  std::string tls_cert;
  std::string tls_key;
  // Mutual TLS: a PEM CA bundle; when set, every client must present a certificate it signed
  // (needs tls-cert/tls-key). Default: empty.
  std::string tls_client_ca;

  // InfluxDB's /api/v2 over HTTP/1.1 (docs/adr/0006-http-api.md, docs/http-api.md): host:port,
  // port 0 picks a free one; HTTPS with the tls_* files below when they are set. Default: empty
  // (off); tools/run.sh serves it on 127.0.0.1:8086.
  std::string http_listen;
  // HTTP connections open at once; past it a connection gets a 503 at accept. Default: 256.
  int http_max_connections = 256;
  // HTTP connections open at once from one client address (an IPv6 /64). Default: 64.
  int http_max_connections_per_peer = 64;
  // How long an HTTP connection may wait for a request's first byte. Default: 60s.
  absl::Duration http_idle_timeout = absl::Seconds(60);
  // How long a client has to send a whole HTTP request once it began. Default: 10s.
  absl::Duration http_request_timeout = absl::Seconds(10);
  // Threads running HTTP handlers (each waits on its gRPC call). Default: 4.
  int http_workers = 4;

  // Replication (docs/adr/0005-event-log-seam-and-etcd.md, docs/etcd.md): with endpoints, the
  // event log lives in etcd and the data dir holds this replica's applied copy; every replica of
  // one cluster and prefix serves the same tokens. Needs use_hashed_tokens (no raw token ever
  // goes to etcd). The etcd password comes from the environment only (AUTHD_ETCD_PASSWORD).
  // etcd members' client URLs, http:// or https://. Default: none (the embedded RocksDB log).
  std::vector<std::string> etcd_endpoints;
  // Key prefix of authd's log in etcd; starts and ends with '/'. Default: /authd/.
  std::string etcd_prefix = "/authd/";
  // Events between snapshots of the log in etcd (each followed by deleting the log below it and
  // compacting etcd); 0: never. Default: kDefaultEtcdSnapshotEvery (10000).
  uint64_t etcd_snapshot_every = kDefaultEtcdSnapshotEvery;
  // With etcd: a replica that has left a log position it knows exists unapplied for longer than
  // this reports NOT_SERVING on health (readiness) until it catches up. Losing etcd alone does
  // not count (Authorize keeps answering from memory). Default: 5 s.
  absl::Duration max_replica_lag = absl::Seconds(5);
  // With etcd: how long start-up may wait for etcd (unreachable members are retried) and catch
  // up with it before authd gives up with an error naming every endpoint. Default: 30 s.
  absl::Duration etcd_start_timeout = absl::Seconds(30);
  // etcd user (with AUTHD_ETCD_PASSWORD). Default: none.
  std::string etcd_user;
  std::string etcd_password;
  // TLS to https:// endpoints: CA bundle (default: the system's), client certificate and key.
  std::string etcd_ca_file;
  std::string etcd_cert_file;
  std::string etcd_key_file;

  // First-start bootstrap, from the environment only (secrets never go in flags), like
  // DOCKER_INFLUXDB_INIT_*: AUTHD_INIT_USERNAME, AUTHD_INIT_PASSWORD, AUTHD_INIT_ORG,
  // AUTHD_INIT_BUCKET, AUTHD_INIT_TOKEN, AUTHD_INIT_RETENTION_SECONDS. Setup runs at start-up only
  // if `init_username` is set and setup has not happened yet. Default: all empty (no bootstrap).
  std::string init_username;
  std::string init_password;
  std::string init_org;
  std::string init_bucket;
  std::string init_token;
  int64_t init_retention_seconds = 0;
};

// What the command line asked for besides serving.
enum class OptionsAction { kServe, kHelp, kVersion };

struct LoadedOptions {
  ServerOptions options;
  OptionsAction action = OptionsAction::kServe;
};

using EnvLookup = std::function<const char*(const char*)>;

// Parses `args` (without argv[0]), the environment and the config file. Errors: kInvalidArgument
// naming the option and its source ("--use-hashed-tokens (flag): want true or false",
// "AUTHD_LISTEN (env): ...", "use-hashed-tokens (config file /etc/authd.yaml:3): ..."), unknown
// flags or file keys, missing values, an unreadable or malformed file.
absl::StatusOr<LoadedOptions> LoadServerOptions(const std::vector<std::string>& args,
                                                const EnvLookup& getenv);

// The --help text.
std::string ServerUsage();

}  // namespace authd::services

#endif  // AUTHD_SERVICES_SERVER_OPTIONS_H_
