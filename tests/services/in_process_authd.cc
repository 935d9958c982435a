#include "tests/services/in_process_authd.h"

#include <stdlib.h>

#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "authz/password.h"
#include "gtest/gtest.h"
#include "services/admin_service.h"
#include "services/authorization_service.h"
#include "services/authorize_service.h"
#include "services/session_service.h"
#include "services/setup_service.h"
#include "services/tenant_service.h"

namespace authd::services {
namespace {

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/in_process_authd.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

}  // namespace

InProcessAuthd::InProcessAuthd() : clock_(absl::FromUnixSeconds(1700000000)) {
  storage::TokenStoreOptions options;
  options.data_dir = MakeTempDir() + "/data";
  auto store = storage::TokenStore::Open(options, &clock_, &index_);
  EXPECT_TRUE(store.ok()) << store.status();
  store_ = std::move(*store);
  sessions_ = std::make_unique<authz::SessionTable>(&clock_, absl::Hours(1));
  auth_ = std::make_unique<CallerAuthenticator>(&index_, sessions_.get());
  // Cheap hashes: tests that set passwords test permissions, not Argon2's cost.
  authz::PasswordHashOptions cheap;
  cheap.memory_kib = 64;
  cheap.iterations = 1;
  passwords_ = std::make_unique<PasswordHasher>(2, cheap);
  info_.version = "test";
  info_.session_ttl = absl::Hours(1);
  ServiceDeps deps;
  deps.store = store_.get();
  deps.index = &index_;
  deps.sessions = sessions_.get();
  deps.auth = auth_.get();
  deps.clock = &clock_;
  deps.info = &info_;
  deps.passwords = passwords_.get();
  services_.push_back(std::make_unique<SetupServiceImpl>(deps));
  services_.push_back(std::make_unique<SessionServiceImpl>(deps));
  services_.push_back(std::make_unique<TenantServiceImpl>(deps));
  watch_hub_ = std::make_unique<WatchHub>(deps, WatchHubOptions());
  watch_hub_->Start();
  services_.push_back(std::make_unique<AuthorizationServiceImpl>(deps, watch_hub_.get()));
  services_.push_back(std::make_unique<AuthorizeServiceImpl>(deps));
  services_.push_back(std::make_unique<AdminServiceImpl>(deps));
  grpc::ServerBuilder builder;
  for (auto& s : services_) builder.RegisterService(s.get());
  server_ = builder.BuildAndStart();
  channel_ = server_->InProcessChannel(grpc::ChannelArguments());
}

InProcessAuthd::~InProcessAuthd() {
  watch_hub_->Stop();  // ends the streams first, as the server does
  server_->Shutdown();
}

}  // namespace authd::services
