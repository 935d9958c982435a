// InProcessAuthd (tests only): authd's six gRPC services on a real grpc::Server with no port, over
// a real TokenStore (RocksDB in a fresh dir under $TEST_TMPDIR) with a FakeClock, reached through
// the server's in-process channel. What services/server.cc assembles, minus the network: for
// handler tests that must not spawn a process. Argon2 runs with tiny costs (64 KiB, 1 pass).
#ifndef AUTHD_TESTS_SERVICES_IN_PROCESS_AUTHD_H_
#define AUTHD_TESTS_SERVICES_IN_PROCESS_AUTHD_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <vector>

#include "authz/session_table.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "services/caller_auth.h"
#include "services/password_hasher.h"
#include "services/service_deps.h"
#include "services/watch_hub.h"
#include "storage/token_store.h"

namespace authd::services {

class InProcessAuthd {
 public:
  InProcessAuthd();
  ~InProcessAuthd();

  storage::TokenStore& store() { return *store_; }
  FakeClock& clock() { return clock_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  FakeClock clock_;
  authz::TokenIndex index_;
  std::unique_ptr<storage::TokenStore> store_;
  std::unique_ptr<authz::SessionTable> sessions_;
  std::unique_ptr<CallerAuthenticator> auth_;
  std::unique_ptr<PasswordHasher> passwords_;
  ServerInfo info_;
  std::unique_ptr<WatchHub> watch_hub_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace authd::services

#endif  // AUTHD_TESTS_SERVICES_IN_PROCESS_AUTHD_H_
