#include "tests/soak/soak_worker.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "authz/token.h"

namespace authd::soak {
namespace {

namespace v1 = ::authd::v1;
using e2e::AuthdClient;

constexpr size_t kMaxRecordedErrors = 10;
constexpr int kListPageSize = 7;
constexpr int kMaxListPages = 4;

// A connection of its own: a local subchannel pool keeps channels from sharing one.
std::shared_ptr<grpc::Channel> OwnChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

const char* SoakOpName(int op) {
  static const char* const kNames[kSoakOpCount] = {
      "authorize_allowed", "authorize_no_permission", "authorize_inactive", "authorize_unknown",
      "authorize_mistyped", "create", "update", "delete", "list_page", "sign_in", "session_call",
      "sign_out"};
  return op >= 0 && op < kSoakOpCount ? kNames[op] : "?";
}

int64_t SoakCounts::TotalRequests() const {
  int64_t n = 0;
  for (int64_t r : requests) n += r;
  return n;
}

int64_t SoakCounts::TotalErrors() const {
  int64_t n = 0;
  for (int64_t e : errors) n += e;
  return n;
}

void SoakCounts::Add(const SoakCounts& other) {
  for (int i = 0; i < kSoakOpCount; ++i) {
    requests[i] += other.requests[i];
    errors[i] += other.errors[i];
  }
  for (const std::string& e : other.first_errors) {
    if (first_errors.size() < kMaxRecordedErrors) first_errors.push_back(e);
  }
}

SoakWorker::SoakWorker(const std::string& address, const SoakFixture* fixture, uint32_t seed)
    : fixture_(fixture), client_(OwnChannel(address)), rng_(seed) {}

void SoakWorker::Run(absl::Time deadline, int64_t max_rounds) {
  for (int64_t i = 0; i < max_rounds && absl::Now() < deadline; ++i) Round();
}

void SoakWorker::Round() {
  const int pick = std::uniform_int_distribution<int>(0, 199)(rng_);
  const std::string& reader = fixture_->reader_token;
  if (pick < 90) {
    Authorize(kAuthorizeAllowed, reader, "read", v1::DENY_REASON_UNSPECIFIED);
  } else if (pick < 110) {
    Authorize(kAuthorizeNoPermission, reader, "write", v1::DENY_REASON_NO_PERMISSION);
  } else if (pick < 120) {
    Authorize(kAuthorizeInactive, fixture_->inactive_token, "read",
              v1::DENY_REASON_INACTIVE_TOKEN);
  } else if (pick < 135) {
    Authorize(kAuthorizeUnknown, authz::GenerateToken(), "read", v1::DENY_REASON_UNKNOWN_TOKEN);
  } else if (pick < 145) {
    std::string mistyped = reader;
    const size_t at = std::uniform_int_distribution<size_t>(6, mistyped.size() - 1)(rng_);
    mistyped[at] = mistyped[at] == 'A' ? 'B' : 'A';
    Authorize(kAuthorizeMistyped, mistyped, "read", v1::DENY_REASON_UNKNOWN_TOKEN);
  } else if (pick < 165) {
    WriteCycle();
  } else if (pick < 199) {
    ListPages();
  } else {
    Session();
  }
}

void SoakWorker::Authorize(SoakOp op, const std::string& token, const std::string& action,
                           v1::DenyReason want) {
  v1::AuthorizeRequest req;
  req.set_token(token);
  req.set_action(action);
  req.mutable_resource()->set_type("buckets");
  req.mutable_resource()->set_id(fixture_->bucket_id);
  req.mutable_resource()->set_org_id(fixture_->org_id);
  v1::AuthorizeResponse resp;
  if (!Count(op, client_.authorize->Authorize(AuthdClient::Ctx().get(), req, &resp))) return;
  const bool want_allowed = want == v1::DENY_REASON_UNSPECIFIED;
  if (resp.allowed() != want_allowed || resp.reason() != want) {
    Error(op, absl::StrCat("allowed=", resp.allowed(), " reason=", resp.reason()));
  }
}

void SoakWorker::WriteCycle() {
  const std::string& op_token = fixture_->operator_token;
  v1::CreateAuthorizationRequest create;
  create.set_org_id(fixture_->org_id);
  create.set_description("soak");
  *create.add_permissions() = e2e::Perm("read", "buckets", fixture_->bucket_id, fixture_->org_id);
  v1::Authorization made;
  if (!Count(kCreate, client_.Create(op_token, create, &made))) return;

  v1::UpdateAuthorizationRequest update;
  update.set_id(made.id());
  update.set_description("soak, updated");
  update.set_status("inactive");
  v1::Authorization updated;
  if (Count(kUpdate, client_.auths->UpdateAuthorization(AuthdClient::Ctx(op_token).get(), update,
                                                        &updated)) &&
      (updated.status() != "inactive" || updated.description() != "soak, updated")) {
    Error(kUpdate, "the update did not take");
  }

  v1::DeleteAuthorizationRequest del;
  del.set_id(made.id());
  v1::DeleteAuthorizationResponse deleted;
  Count(kDelete, client_.auths->DeleteAuthorization(AuthdClient::Ctx(op_token).get(), del, &deleted));
}

void SoakWorker::ListPages() {
  v1::ListAuthorizationsRequest req;
  req.set_org_id(fixture_->org_id);
  req.set_page_size(kListPageSize);
  for (int page = 0; page < kMaxListPages; ++page) {
    v1::ListAuthorizationsResponse resp;
    if (!Count(kListPage, client_.auths->ListAuthorizations(
                              AuthdClient::Ctx(fixture_->operator_token).get(), req, &resp))) {
      return;
    }
    if (resp.authorizations_size() > kListPageSize) Error(kListPage, "page larger than asked");
    if (resp.next_page_token().empty()) return;
    req.set_page_token(resp.next_page_token());
  }
}

void SoakWorker::Session() {
  v1::SignInRequest sign_in;
  sign_in.set_username("admin");
  sign_in.set_password(fixture_->password);
  v1::SignInResponse session;
  if (!Count(kSignIn, client_.session->SignIn(AuthdClient::Ctx().get(), sign_in, &session))) return;
  v1::ListOrgsResponse orgs;
  if (Count(kSessionCall,
            client_.tenant->ListOrgs(AuthdClient::Ctx(session.token()).get(), {}, &orgs)) &&
      orgs.orgs_size() == 0) {
    Error(kSessionCall, "the session sees no org");
  }
  v1::SignOutResponse out;
  Count(kSignOut, client_.session->SignOut(AuthdClient::Ctx(session.token()).get(), {}, &out));
}

bool SoakWorker::Count(SoakOp op, const grpc::Status& s) {
  ++counts_.requests[op];
  if (s.ok()) return true;
  Error(op, absl::StrCat("status ", s.error_code(), ": ", s.error_message()));
  return false;
}

void SoakWorker::Error(SoakOp op, const std::string& what) {
  ++counts_.errors[op];
  if (counts_.first_errors.size() < kMaxRecordedErrors) {
    counts_.first_errors.push_back(absl::StrCat(SoakOpName(op), ": ", what));
  }
}

}  // namespace authd::soak
