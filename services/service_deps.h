// ServiceDeps: what the gRPC adapters share, assembled by services/server.cc. Plain struct of
// borrowed pointers; everything it points to outlives the services and is thread-safe.
#ifndef AUTHD_SERVICES_SERVICE_DEPS_H_
#define AUTHD_SERVICES_SERVICE_DEPS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "authd/v1/admin_service.pb.h"
#include "authz/session_table.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "services/caller_auth.h"
#include "services/password_hasher.h"
#include "storage/token_store.h"

namespace authd::services {

// Facts about the running server that GetServerConfig reports (no secrets).
struct ServerInfo {
  std::string version;
  std::string listen;
  std::string data_dir;
  bool use_hashed_tokens = true;
  std::string log_level;
  absl::Duration session_ttl;
  authd::v1::ServerLimits limits;
  // "rocksdb" or "etcd"; with etcd, its endpoints and prefix.
  std::string event_log = "rocksdb";
  std::vector<std::string> etcd_endpoints;
  std::string etcd_prefix;
  absl::Duration max_token_lifetime;
  absl::Duration last_used_interval;
  absl::Duration expired_token_retention;
};

struct ServiceDeps {
  storage::TokenStore* store = nullptr;
  authz::TokenIndex* index = nullptr;
  authz::SessionTable* sessions = nullptr;
  const CallerAuthenticator* auth = nullptr;
  const Clock* clock = nullptr;
  const ServerInfo* info = nullptr;
  PasswordHasher* passwords = nullptr;
};

}  // namespace authd::services

#endif  // AUTHD_SERVICES_SERVICE_DEPS_H_
