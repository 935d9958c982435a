// The permission checks of every gRPC handler, in-process (issue 20): the six services of authd on
// a real grpc::Server with no port, called over its in-process channel with real tokens from a real
// TokenStore (RocksDB in $TEST_TMPDIR). One table row per (RPC, caller): the status code it must
// get. A second table checks that listings silently keep to what the caller may read. A refactor of
// storage or of the handlers that widens (or narrows) access fails here by name.
//
// The callers, all for one instance: org A ("acme", with bucket "metrics") and org B ("beta", with
// bucket "logs"); user alice (setup user) and user bob.
//   operator   the setup token (every permission, every org)
//   all_a      PRESET_ALL_ACCESS for org A, user alice
//   read_a     read orgs/A/buckets, user alice
//   tokens_a   read+write orgs/A/authorizations, read+write users/alice, read orgs/A/buckets
//   all_b      PRESET_ALL_ACCESS for org B, user bob
//   inactive   all-access for org A, status inactive
//   unknown    a well-formed token nobody stored
//   none       no authorization metadata
// Not run under TSan: gRPC is uninstrumented here (.bazelrc).
#include <stdlib.h>

#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "authd/v1/admin_service.grpc.pb.h"
#include "authd/v1/authorization_service.grpc.pb.h"
#include "authd/v1/authorize_service.grpc.pb.h"
#include "authd/v1/session_service.grpc.pb.h"
#include "authd/v1/setup_service.grpc.pb.h"
#include "authd/v1/tenant_service.grpc.pb.h"
#include "authz/canned.h"
#include "authz/id.h"
#include "authz/password.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "authz/session_table.h"
#include "authz/token.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "gtest/gtest.h"
#include "storage/token_store.h"
#include "tests/services/in_process_authd.h"

namespace authd::services {
namespace {

namespace v1 = authd::v1;
using authz::Action;
using authz::ResourceType;
using Code = grpc::StatusCode;

class HandlerPermissionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    authd_ = new InProcessAuthd();
    storage::TokenStore& store = authd_->store();
    storage::SetupCommand setup;
    setup.username = "alice";
    setup.org = "acme";
    setup.bucket = "metrics";
    setup.token = authz::GenerateToken();
    auto done = store.Setup(setup);
    ASSERT_TRUE(done.ok()) << done.status();
    ids_ = new Ids;
    ids_->org_a = done->org.id();
    ids_->alice = done->user.id();
    ids_->bucket_a = done->bucket.id();
    const storage::Actor actor{done->authorization.id(), ids_->alice};
    auto org_b = store.CreateOrg(actor, "beta", "");
    ASSERT_TRUE(org_b.ok()) << org_b.status();
    ids_->org_b = org_b->id();
    auto bob = store.CreateUser(actor, "bob", "", true);
    ASSERT_TRUE(bob.ok()) << bob.status();
    ids_->bob = bob->id();
    auto bucket_b = store.CreateBucket(actor, ids_->org_b, "logs", "", 0);
    ASSERT_TRUE(bucket_b.ok()) << bucket_b.status();
    ids_->bucket_b = bucket_b->id();

    tokens_ = new std::map<std::string, std::string>;
    (*tokens_)["operator"] = setup.token;
    (*tokens_)["unknown"] = authz::GenerateToken();
    (*tokens_)["none"] = "";
    const authz::Id a = ids_->org_a;
    Store("all_a", a, ids_->alice, authz::AllAccessPermissions(a, ids_->alice));
    Store("read_a", a, ids_->alice,
          {authz::OrgPermission(Action::kRead, ResourceType::kBuckets, a)});
    Store("tokens_a", a, ids_->alice,
          {authz::OrgPermission(Action::kRead, ResourceType::kAuthorizations, a),
           authz::OrgPermission(Action::kWrite, ResourceType::kAuthorizations, a),
           authz::IdPermission(Action::kRead, ResourceType::kUsers, ids_->alice),
           authz::IdPermission(Action::kWrite, ResourceType::kUsers, ids_->alice),
           authz::OrgPermission(Action::kRead, ResourceType::kBuckets, a)});
    Store("all_b", ids_->org_b, ids_->bob, authz::AllAccessPermissions(ids_->org_b, ids_->bob));
    Store("inactive", a, ids_->alice, authz::AllAccessPermissions(a, ids_->alice),
          /*active=*/false);
  }

  static void TearDownTestSuite() {
    delete authd_;
    delete ids_;
    delete tokens_;
  }

  static void Store(const std::string& name, authz::Id org, authz::Id user,
                    std::vector<authz::Permission> permissions, bool active = true) {
    storage::NewAuthorization req;
    req.org_id = org;
    req.user_id = user;
    req.active = active;
    req.description = name;
    req.permissions = std::move(permissions);
    req.token = authz::GenerateToken();
    auto created = authd_->store().CreateAuthorization(storage::Actor{}, req);
    ASSERT_TRUE(created.ok()) << name << ": " << created.status();
    (*tokens_)[name] = req.token;
    authorization_ids_[name] = created->id();
  }

  struct Ids {
    authz::Id org_a = 0, org_b = 0, alice = 0, bob = 0, bucket_a = 0, bucket_b = 0;
  };

  // A fresh context carrying `caller`'s token (none for "none").
  static std::unique_ptr<grpc::ClientContext> As(const std::string& caller) {
    auto context = std::make_unique<grpc::ClientContext>();
    const std::string& token = tokens_->at(caller);
    if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Token ", token));
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return context;
  }

  // Throwaway records for the rows that change or delete something.
  static authz::Id FreshOrg() {
    auto org = authd_->store().CreateOrg(storage::Actor{}, absl::StrCat("org-", ++serial_), "");
    EXPECT_TRUE(org.ok()) << org.status();
    return org.ok() ? org->id() : 0;
  }
  static authz::Id FreshUser() {
    auto user =
        authd_->store().CreateUser(storage::Actor{}, absl::StrCat("user-", ++serial_), "", true);
    EXPECT_TRUE(user.ok()) << user.status();
    return user.ok() ? user->id() : 0;
  }
  static authz::Id FreshBucket(authz::Id org) {
    auto bucket = authd_->store().CreateBucket(storage::Actor{}, org,
                                               absl::StrCat("bucket-", ++serial_), "", 0);
    EXPECT_TRUE(bucket.ok()) << bucket.status();
    return bucket.ok() ? bucket->id() : 0;
  }
  static authz::Id FreshToken(authz::Id org, authz::Id user,
                              std::vector<authz::Permission> permissions = {}) {
    storage::NewAuthorization req;
    req.org_id = org;
    req.user_id = user;
    req.permissions = permissions.empty()
                          ? std::vector<authz::Permission>{authz::OrgPermission(
                                Action::kRead, ResourceType::kBuckets, org)}
                          : std::move(permissions);
    req.token = authz::GenerateToken();
    auto created = authd_->store().CreateAuthorization(storage::Actor{}, req);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->id() : 0;
  }

  static InProcessAuthd* authd_;
  static Ids* ids_;
  static std::map<std::string, std::string>* tokens_;
  static std::map<std::string, authz::Id> authorization_ids_;
  static int serial_;
};

InProcessAuthd* HandlerPermissionsTest::authd_ = nullptr;
HandlerPermissionsTest::Ids* HandlerPermissionsTest::ids_ = nullptr;
std::map<std::string, std::string>* HandlerPermissionsTest::tokens_ = nullptr;
std::map<std::string, authz::Id> HandlerPermissionsTest::authorization_ids_;
int HandlerPermissionsTest::serial_ = 0;

using Call = std::function<grpc::Status(grpc::ClientContext*)>;

std::string Hex(authz::Id id) { return authz::FormatId(id); }

// Every RPC of authd, as one call with a valid request (fresh records where it changes state).
class Calls : public HandlerPermissionsTest {
 public:
  static std::map<std::string, std::function<Call()>> All() {
    auto ch = authd_->channel();
    auto tenant = std::shared_ptr<v1::TenantService::Stub>(v1::TenantService::NewStub(ch));
    auto auths =
        std::shared_ptr<v1::AuthorizationService::Stub>(v1::AuthorizationService::NewStub(ch));
    auto admin = std::shared_ptr<v1::AdminService::Stub>(v1::AdminService::NewStub(ch));
    auto setup = std::shared_ptr<v1::SetupService::Stub>(v1::SetupService::NewStub(ch));
    auto session = std::shared_ptr<v1::SessionService::Stub>(v1::SessionService::NewStub(ch));
    const Ids ids = *ids_;
    std::map<std::string, std::function<Call()>> calls;
    // ---- TenantService
    calls["CreateOrg"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::CreateOrgRequest req;
        req.set_name(absl::StrCat("created-org-", ++serial_));
        v1::Org resp;
        return tenant->CreateOrg(c, req, &resp);
      };
    };
    calls["GetOrg(A)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::GetOrgRequest req;
        req.set_id(Hex(ids.org_a));
        v1::Org resp;
        return tenant->GetOrg(c, req, &resp);
      };
    };
    calls["GetOrg(missing)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::GetOrgRequest req;
        req.set_id("0123456789abcdef");
        v1::Org resp;
        return tenant->GetOrg(c, req, &resp);
      };
    };
    calls["UpdateOrg(fresh)"] = [=] {
      const authz::Id org = FreshOrg();
      return [=](grpc::ClientContext* c) {
        v1::UpdateOrgRequest req;
        req.set_id(Hex(org));
        req.mutable_max_token_lifetime()->set_seconds(86400);
        v1::Org resp;
        return tenant->UpdateOrg(c, req, &resp);
      };
    };
    calls["DeleteOrg(fresh)"] = [=] {
      const authz::Id org = FreshOrg();
      return [=](grpc::ClientContext* c) {
        v1::DeleteOrgRequest req;
        req.set_id(Hex(org));
        v1::DeleteOrgResponse resp;
        return tenant->DeleteOrg(c, req, &resp);
      };
    };
    calls["CreateUser"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::CreateUserRequest req;
        req.set_name(absl::StrCat("created-user-", ++serial_));
        v1::User resp;
        return tenant->CreateUser(c, req, &resp);
      };
    };
    calls["GetUser(alice)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::GetUserRequest req;
        req.set_id(Hex(ids.alice));
        v1::User resp;
        return tenant->GetUser(c, req, &resp);
      };
    };
    calls["UpdateUser(fresh)"] = [=] {
      const authz::Id user = FreshUser();
      return [=](grpc::ClientContext* c) {
        v1::UpdateUserRequest req;
        req.set_id(Hex(user));
        req.set_name(absl::StrCat("renamed-", ++serial_));
        v1::User resp;
        return tenant->UpdateUser(c, req, &resp);
      };
    };
    calls["UpdateUser(alice)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::UpdateUserRequest req;
        req.set_id(Hex(ids.alice));
        req.set_status("active");
        v1::User resp;
        return tenant->UpdateUser(c, req, &resp);
      };
    };
    calls["DeleteUser(fresh)"] = [=] {
      const authz::Id user = FreshUser();
      return [=](grpc::ClientContext* c) {
        v1::DeleteUserRequest req;
        req.set_id(Hex(user));
        v1::DeleteUserResponse resp;
        return tenant->DeleteUser(c, req, &resp);
      };
    };
    calls["SetPassword(alice)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::SetPasswordRequest req;
        req.set_user_id(Hex(ids.alice));
        req.set_password("correct-horse-battery");
        v1::SetPasswordResponse resp;
        return tenant->SetPassword(c, req, &resp);
      };
    };
    calls["CreateBucket(A)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::CreateBucketRequest req;
        req.set_org_id(Hex(ids.org_a));
        req.set_name(absl::StrCat("created-bucket-", ++serial_));
        v1::Bucket resp;
        return tenant->CreateBucket(c, req, &resp);
      };
    };
    calls["GetBucket(A)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::GetBucketRequest req;
        req.set_id(Hex(ids.bucket_a));
        v1::Bucket resp;
        return tenant->GetBucket(c, req, &resp);
      };
    };
    calls["DeleteBucket(fresh in A)"] = [=] {
      const authz::Id bucket = FreshBucket(ids.org_a);
      return [=](grpc::ClientContext* c) {
        v1::DeleteBucketRequest req;
        req.set_id(Hex(bucket));
        v1::DeleteBucketResponse resp;
        return tenant->DeleteBucket(c, req, &resp);
      };
    };
    // ---- AuthorizationService
    calls["CreateAuthorization(read buckets A)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::CreateAuthorizationRequest req;
        req.set_org_id(Hex(ids.org_a));
        auto* p = req.add_permissions();
        p->set_action("read");
        p->mutable_resource()->set_type("buckets");
        p->mutable_resource()->set_org_id(Hex(ids.org_a));
        v1::Authorization resp;
        return auths->CreateAuthorization(c, req, &resp);
      };
    };
    calls["CreateAuthorization(write buckets A)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::CreateAuthorizationRequest req;
        req.set_org_id(Hex(ids.org_a));
        auto* p = req.add_permissions();
        p->set_action("write");
        p->mutable_resource()->set_type("buckets");
        p->mutable_resource()->set_org_id(Hex(ids.org_a));
        v1::Authorization resp;
        return auths->CreateAuthorization(c, req, &resp);
      };
    };
    calls["CreateAuthorization(operator preset)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::CreateAuthorizationRequest req;
        req.set_org_id(Hex(ids.org_a));
        req.set_preset(v1::PRESET_OPERATOR);
        v1::Authorization resp;
        return auths->CreateAuthorization(c, req, &resp);
      };
    };
    calls["GetAuthorization(read_a)"] = [=] {
      const authz::Id id = authorization_ids_.at("read_a");
      return [=](grpc::ClientContext* c) {
        v1::GetAuthorizationRequest req;
        req.set_id(Hex(id));
        v1::Authorization resp;
        return auths->GetAuthorization(c, req, &resp);
      };
    };
    calls["UpdateAuthorization(fresh in A)"] = [=] {
      const authz::Id id = FreshToken(ids.org_a, ids.alice);
      return [=](grpc::ClientContext* c) {
        v1::UpdateAuthorizationRequest req;
        req.set_id(Hex(id));
        req.set_description("updated");
        v1::Authorization resp;
        return auths->UpdateAuthorization(c, req, &resp);
      };
    };
    calls["RotateAuthorization(fresh in A)"] = [=] {
      const authz::Id id = FreshToken(ids.org_a, ids.alice);
      return [=](grpc::ClientContext* c) {
        v1::RotateAuthorizationRequest req;
        req.set_id(Hex(id));
        v1::Authorization resp;
        return auths->RotateAuthorization(c, req, &resp);
      };
    };
    // An operator-permission token of alice's in A: within all_a's reach to manage, not to mint.
    calls["RotateAuthorization(operator token in A)"] = [=] {
      const authz::Id id = FreshToken(ids.org_a, ids.alice, authz::OperatorPermissions());
      return [=](grpc::ClientContext* c) {
        v1::RotateAuthorizationRequest req;
        req.set_id(Hex(id));
        v1::Authorization resp;
        return auths->RotateAuthorization(c, req, &resp);
      };
    };
    calls["DeleteAuthorization(fresh in A)"] = [=] {
      const authz::Id id = FreshToken(ids.org_a, ids.alice);
      return [=](grpc::ClientContext* c) {
        v1::DeleteAuthorizationRequest req;
        req.set_id(Hex(id));
        v1::DeleteAuthorizationResponse resp;
        return auths->DeleteAuthorization(c, req, &resp);
      };
    };
    // ---- AdminService
    calls["GetServerConfig"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::GetServerConfigRequest req;
        v1::GetServerConfigResponse resp;
        return admin->GetServerConfig(c, req, &resp);
      };
    };
    calls["ListResourceTypes"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::ListResourceTypesRequest req;
        v1::ListResourceTypesResponse resp;
        return admin->ListResourceTypes(c, req, &resp);
      };
    };
    calls["Backup"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::BackupRequest req;
        auto reader = admin->Backup(c, req);
        v1::BackupChunk chunk;
        while (reader->Read(&chunk)) {
        }
        return reader->Finish();
      };
    };
    calls["Restore(empty stream)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::RestoreResponse resp;
        auto writer = admin->Restore(c, &resp);
        writer->WritesDone();
        return writer->Finish();
      };
    };
    // ---- SetupService and SessionService
    calls["GetSetupStatus"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::GetSetupStatusRequest req;
        v1::GetSetupStatusResponse resp;
        return setup->GetSetupStatus(c, req, &resp);
      };
    };
    calls["Setup(again)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::SetupRequest req;
        req.set_username("mallory");
        req.set_org("evil");
        req.set_bucket("b");
        v1::SetupResponse resp;
        return setup->Setup(c, req, &resp);
      };
    };
    calls["SignIn(no password set)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::SignInRequest req;
        req.set_username("bob");
        req.set_password("whatever-it-is");
        v1::SignInResponse resp;
        return session->SignIn(c, req, &resp);
      };
    };
    calls["GetCurrentUser"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::User resp;
        return session->GetCurrentUser(c, v1::GetCurrentUserRequest(), &resp);
      };
    };
    calls["SignOut(not a session)"] = [=] {
      return [=](grpc::ClientContext* c) {
        v1::SignOutRequest req;
        v1::SignOutResponse resp;
        return session->SignOut(c, req, &resp);
      };
    };
    return calls;
  }
};

struct Row {
  const char* rpc;
  const char* caller;
  Code want;
};

constexpr Code OK = Code::OK;
constexpr Code DENIED = Code::PERMISSION_DENIED;
constexpr Code UNAUTH = Code::UNAUTHENTICATED;

// Callers that never get past authentication, and what they get.
const std::vector<std::pair<const char*, Code>> kRefusedCallers = {
    {"none", UNAUTH}, {"unknown", UNAUTH}, {"inactive", UNAUTH}};

// (RPC, caller) -> code, for the callers that authenticate. InfluxDB's rules
// (../shared/reference/influxdb-v2-tokens.md): org writes and user creation need global
// permissions; a token is read/written with `authorizations` in its org plus `users/<its user>`;
// nobody grants a permission they do not hold; backup, restore and the server config are for
// operators only; a missing permission is checked before existence (no probing of IDs).
const std::vector<Row> kRows = {
    {"CreateOrg", "operator", OK},
    {"CreateOrg", "all_a", DENIED},
    {"CreateOrg", "read_a", DENIED},
    {"CreateOrg", "all_b", DENIED},
    {"GetOrg(A)", "operator", OK},
    {"GetOrg(A)", "all_a", OK},
    {"GetOrg(A)", "read_a", DENIED},
    {"GetOrg(A)", "all_b", DENIED},
    {"GetOrg(missing)", "operator", Code::NOT_FOUND},
    {"GetOrg(missing)", "all_a", DENIED},
    {"UpdateOrg(fresh)", "all_a", DENIED},
    {"UpdateOrg(fresh)", "all_b", DENIED},
    {"UpdateOrg(fresh)", "operator", OK},
    {"DeleteOrg(fresh)", "all_a", DENIED},
    {"DeleteOrg(fresh)", "all_b", DENIED},
    {"DeleteOrg(fresh)", "operator", OK},
    {"CreateUser", "all_a", DENIED},
    {"CreateUser", "tokens_a", DENIED},
    {"CreateUser", "operator", OK},
    {"GetUser(alice)", "operator", OK},
    {"GetUser(alice)", "all_a", OK},
    {"GetUser(alice)", "tokens_a", OK},
    {"GetUser(alice)", "read_a", DENIED},
    {"GetUser(alice)", "all_b", DENIED},
    {"UpdateUser(fresh)", "all_a", DENIED},
    {"UpdateUser(fresh)", "all_b", DENIED},
    {"UpdateUser(fresh)", "operator", OK},
    {"UpdateUser(alice)", "all_a", OK},
    {"UpdateUser(alice)", "all_b", DENIED},
    {"UpdateUser(alice)", "read_a", DENIED},
    {"DeleteUser(fresh)", "all_a", DENIED},
    {"DeleteUser(fresh)", "tokens_a", DENIED},
    {"DeleteUser(fresh)", "operator", OK},
    {"SetPassword(alice)", "read_a", DENIED},
    {"SetPassword(alice)", "all_b", DENIED},
    {"SetPassword(alice)", "all_a", OK},
    {"CreateBucket(A)", "operator", OK},
    {"CreateBucket(A)", "all_a", OK},
    {"CreateBucket(A)", "read_a", DENIED},
    {"CreateBucket(A)", "all_b", DENIED},
    {"GetBucket(A)", "all_a", OK},
    {"GetBucket(A)", "read_a", OK},
    {"GetBucket(A)", "tokens_a", OK},
    {"GetBucket(A)", "all_b", DENIED},
    {"DeleteBucket(fresh in A)", "read_a", DENIED},
    {"DeleteBucket(fresh in A)", "all_b", DENIED},
    {"DeleteBucket(fresh in A)", "all_a", OK},
    {"DeleteBucket(fresh in A)", "operator", OK},
    {"CreateAuthorization(read buckets A)", "operator", OK},
    {"CreateAuthorization(read buckets A)", "all_a", OK},
    {"CreateAuthorization(read buckets A)", "tokens_a", OK},
    {"CreateAuthorization(read buckets A)", "read_a", DENIED},
    {"CreateAuthorization(read buckets A)", "all_b", DENIED},
    // tokens_a may create tokens but holds no write on buckets: it cannot grant one.
    {"CreateAuthorization(write buckets A)", "tokens_a", DENIED},
    {"CreateAuthorization(write buckets A)", "all_a", OK},
    {"CreateAuthorization(operator preset)", "all_a", DENIED},
    {"CreateAuthorization(operator preset)", "operator", OK},
    {"GetAuthorization(read_a)", "operator", OK},
    {"GetAuthorization(read_a)", "all_a", OK},
    {"GetAuthorization(read_a)", "tokens_a", OK},
    {"GetAuthorization(read_a)", "read_a", DENIED},
    {"GetAuthorization(read_a)", "all_b", DENIED},
    {"UpdateAuthorization(fresh in A)", "all_a", OK},
    {"UpdateAuthorization(fresh in A)", "tokens_a", OK},
    {"UpdateAuthorization(fresh in A)", "read_a", DENIED},
    {"UpdateAuthorization(fresh in A)", "all_b", DENIED},
    {"RotateAuthorization(fresh in A)", "all_a", OK},
    {"RotateAuthorization(fresh in A)", "tokens_a", OK},
    {"RotateAuthorization(fresh in A)", "read_a", DENIED},
    {"RotateAuthorization(fresh in A)", "all_b", DENIED},
    {"RotateAuthorization(operator token in A)", "all_a", DENIED},
    {"RotateAuthorization(operator token in A)", "tokens_a", DENIED},
    {"RotateAuthorization(operator token in A)", "operator", OK},
    {"DeleteAuthorization(fresh in A)", "all_a", OK},
    {"DeleteAuthorization(fresh in A)", "read_a", DENIED},
    {"DeleteAuthorization(fresh in A)", "all_b", DENIED},
    {"DeleteAuthorization(fresh in A)", "operator", OK},
    {"GetServerConfig", "operator", OK},
    {"GetServerConfig", "all_a", DENIED},
    {"GetServerConfig", "all_b", DENIED},
    {"ListResourceTypes", "read_a", OK},
    {"ListResourceTypes", "operator", OK},
    {"Backup", "all_a", DENIED},
    {"Backup", "tokens_a", DENIED},
    {"Backup", "operator", OK},
    {"Restore(empty stream)", "all_a", DENIED},
    {"Restore(empty stream)", "all_b", DENIED},
    // An operator gets past the check: an empty backup is then bad input.
    {"Restore(empty stream)", "operator", Code::INVALID_ARGUMENT},
    // Setup status and setup need no token; a second setup is refused whoever asks.
    {"GetSetupStatus", "none", OK},
    {"GetSetupStatus", "read_a", OK},
    {"Setup(again)", "none", Code::FAILED_PRECONDITION},
    {"Setup(again)", "operator", Code::FAILED_PRECONDITION},
    // SignIn takes a password, not a token; a user without a password cannot sign in.
    {"SignIn(no password set)", "none", UNAUTH},
    // SignOut ends a session; a stored token is not one.
    {"SignOut(not a session)", "operator", UNAUTH},
    {"SignOut(not a session)", "none", UNAUTH},
    // The current user needs credentials and nothing more: the narrowest token may ask.
    {"GetCurrentUser", "operator", OK},
    {"GetCurrentUser", "read_a", OK},
    {"GetCurrentUser", "all_b", OK},
};

// The RPCs that authenticate their caller (every one but these).
const std::set<std::string> kNoCallerNeeded = {"GetSetupStatus", "Setup(again)",
                                               "SignIn(no password set)"};

TEST_F(HandlerPermissionsTest, EveryRpcAndCallerGetsExactlyItsCode) {
  const auto calls = Calls::All();
  std::set<std::string> covered;
  for (const Row& row : kRows) {
    auto make = calls.find(row.rpc);
    ASSERT_NE(make, calls.end()) << "no call named " << row.rpc;
    covered.insert(row.rpc);
    Call call = make->second();
    auto context = As(row.caller);
    grpc::Status got = call(context.get());
    EXPECT_EQ(got.error_code(), row.want)
        << row.rpc << " as " << row.caller << ": " << got.error_message();
  }
  // Every RPC has rows, and every RPC that authenticates refuses the callers that cannot.
  for (const auto& [name, make] : calls) {
    EXPECT_EQ(covered.count(name), 1u) << name << " has no row";
    if (kNoCallerNeeded.count(name) > 0) continue;
    for (const auto& [caller, want] : kRefusedCallers) {
      Call call = make();
      auto context = As(caller);
      grpc::Status got = call(context.get());
      EXPECT_EQ(got.error_code(), want) << name << " as " << caller << ": " << got.error_message();
    }
  }
}

// Authorize is called by siblings with the token in the request: no caller token needed, and the
// decision follows the token's own permissions.
TEST_F(HandlerPermissionsTest, AuthorizeNeedsNoCallerAndDecidesByTheTokenInTheRequest) {
  auto stub = v1::AuthorizeService::NewStub(authd_->channel());
  struct Case {
    const char* token;
    const char* action;
    authz::Id org;
    bool allowed;
  };
  const Case cases[] = {
      {"read_a", "read", ids_->org_a, true},   {"read_a", "write", ids_->org_a, false},
      {"all_b", "read", ids_->org_a, false},   {"all_b", "write", ids_->org_b, true},
      {"inactive", "read", ids_->org_a, false}, {"unknown", "read", ids_->org_a, false},
      {"operator", "write", ids_->org_b, true},
  };
  for (const Case& c : cases) {
    v1::AuthorizeRequest req;
    req.set_token(tokens_->at(c.token));
    req.set_action(c.action);
    req.mutable_resource()->set_type("buckets");
    req.mutable_resource()->set_org_id(Hex(c.org));
    v1::AuthorizeResponse resp;
    auto context = As("none");
    grpc::Status s = stub->Authorize(context.get(), req, &resp);
    ASSERT_TRUE(s.ok()) << c.token << ": " << s.error_message();
    EXPECT_EQ(resp.allowed(), c.allowed) << c.token << " " << c.action;
  }
}

// Listings never fail for lack of permission: they keep to what the caller may read.
TEST_F(HandlerPermissionsTest, ListingsKeepToWhatTheCallerMayRead) {
  auto tenant = v1::TenantService::NewStub(authd_->channel());
  auto auths = v1::AuthorizationService::NewStub(authd_->channel());
  auto org_names = [&](const std::string& caller) {
    v1::ListOrgsRequest req;
    v1::ListOrgsResponse resp;
    auto context = As(caller);
    grpc::Status s = tenant->ListOrgs(context.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << caller << ": " << s.error_message();
    std::set<std::string> names;
    for (const auto& o : resp.orgs()) names.insert(o.name());
    return names;
  };
  EXPECT_TRUE(org_names("operator").count("acme") && org_names("operator").count("beta"));
  EXPECT_EQ(org_names("all_a"), std::set<std::string>{"acme"});
  EXPECT_EQ(org_names("all_b"), std::set<std::string>{"beta"});
  EXPECT_TRUE(org_names("read_a").empty());

  auto bucket_names = [&](const std::string& caller, authz::Id org) {
    v1::ListBucketsRequest req;
    req.set_org_id(Hex(org));
    v1::ListBucketsResponse resp;
    auto context = As(caller);
    grpc::Status s = tenant->ListBuckets(context.get(), req, &resp);
    std::set<std::string> names;
    if (!s.ok()) {
      names.insert(absl::StrCat("error ", s.error_code()));
      return names;
    }
    for (const auto& b : resp.buckets()) names.insert(b.name());
    return names;
  };
  EXPECT_EQ(bucket_names("read_a", ids_->org_a).count("metrics"), 1u);
  EXPECT_EQ(bucket_names("all_b", ids_->org_a).count("metrics"), 0u);
  EXPECT_EQ(bucket_names("all_b", ids_->org_b).count("logs"), 1u);

  auto user_names = [&](const std::string& caller) {
    v1::ListUsersRequest req;
    v1::ListUsersResponse resp;
    auto context = As(caller);
    grpc::Status s = tenant->ListUsers(context.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << caller << ": " << s.error_message();
    std::set<std::string> names;
    for (const auto& u : resp.users()) names.insert(u.name());
    return names;
  };
  EXPECT_EQ(user_names("all_a"), std::set<std::string>{"alice"});
  EXPECT_EQ(user_names("all_b"), std::set<std::string>{"bob"});
  EXPECT_TRUE(user_names("read_a").empty());
  EXPECT_GE(user_names("operator").size(), 2u);

  auto token_descriptions = [&](const std::string& caller) {
    v1::ListAuthorizationsRequest req;
    v1::ListAuthorizationsResponse resp;
    auto context = As(caller);
    grpc::Status s = auths->ListAuthorizations(context.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << caller << ": " << s.error_message();
    std::set<std::string> found;
    for (const auto& a : resp.authorizations()) {
      EXPECT_TRUE(a.token().empty()) << "a hashed token was returned to " << caller;
      found.insert(a.description());
    }
    return found;
  };
  // all_b sees only bob's org-B tokens; read_a sees none; all_a sees alice's org-A ones.
  EXPECT_EQ(token_descriptions("all_b"), std::set<std::string>{"all_b"});
  EXPECT_TRUE(token_descriptions("read_a").empty());
  const auto seen_by_all_a = token_descriptions("all_a");
  EXPECT_TRUE(seen_by_all_a.count("read_a") && seen_by_all_a.count("tokens_a") &&
              seen_by_all_a.count("inactive"));
  EXPECT_EQ(seen_by_all_a.count("all_b"), 0u);
  EXPECT_EQ(token_descriptions("operator").count("all_b"), 1u);
}

}  // namespace
}  // namespace authd::services
