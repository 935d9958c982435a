#include "services/caller_auth.h"

#include <grpcpp/server_context.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "authz/canned.h"
#include "authz/decision.h"
#include "authz/permission.h"
#include "authz/principal.h"
#include "authz/session_table.h"
#include "authz/token.h"
#include "authz/token_hash.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "gtest/gtest.h"

namespace authd::services {
namespace {

using authz::Action;
using authz::Permission;
using authz::ResourceType;

constexpr authz::Id kOrg = 0x0000000000000c01;
constexpr authz::Id kUser = 0x0000000000000b01;
constexpr authz::Id kInactiveUser = 0x0000000000000b02;
constexpr authz::Id kAuth = 0x0000000000000a01;
constexpr authz::Id kInactiveAuth = 0x0000000000000a02;
constexpr authz::Id kAuthOfInactiveUser = 0x0000000000000a03;

// ---------------------------------------------------------------------------------------------
// TokenFromHeader.

struct HeaderCase {
  std::string header;
  bool ok;
  std::string token_or_message;
};

TEST(TokenFromHeaderTest, ParsesSchemesCaseInsensitivelyAndRejectsOthers) {
  const std::vector<HeaderCase> cases = {
      {"Token abc", true, "abc"},
      {"token abc", true, "abc"},
      {"TOKEN abc", true, "abc"},
      {"Bearer abc", true, "abc"},
      {"bearer abc", true, "abc"},
      {"BEARER abc", true, "abc"},
      {"Token abc def", true, "abc def"},
      {"Basic abc", false, "authorization metadata scheme is invalid"},
      {"Tokens abc", false, "authorization metadata scheme is invalid"},
      {"Token", false, "authorization metadata scheme is invalid"},
      {"", false, "authorization metadata scheme is invalid"},
      {"abc", false, "authorization metadata scheme is invalid"},
      {" Token abc", false, "authorization metadata scheme is invalid"},
      {"Token ", false, "authorization metadata has no token"},
      {"Bearer ", false, "authorization metadata has no token"},
  };
  for (const HeaderCase& c : cases) {
    SCOPED_TRACE("header \"" + c.header + "\"");
    auto got = TokenFromHeader(c.header);
    if (c.ok) {
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(*got, c.token_or_message);
    } else {
      EXPECT_EQ(got.status().code(), absl::StatusCode::kUnauthenticated);
      EXPECT_EQ(got.status().message(), c.token_or_message);
    }
  }
}

TEST(TokenFromHeaderTest, ErrorNeverEchoesTheHeader) {
  const std::string secret = "Zq8Xv3Kp9Lm2Nw7Rt5Yb";
  auto got = TokenFromHeader("Basic " + secret);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message().find(secret), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// CallerAuthenticator.

class CallerAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_.SetUserActive(kUser, true);
    index_.Put(authz::DigestToken(active_token_), Grant(kAuth, kUser, true));
    index_.Put(authz::DigestToken(inactive_token_), Grant(kInactiveAuth, kUser, false));
    index_.Put(authz::DigestToken(inactive_user_token_),
               Grant(kAuthOfInactiveUser, kInactiveUser, true));
  }

  authz::TokenGrant Grant(authz::Id auth, authz::Id user, bool active) {
    authz::TokenGrant g;
    g.authorization_id = auth;
    g.user_id = user;
    g.org_id = kOrg;
    g.active = active;
    g.permissions = perms_;
    return g;
  }

  const std::vector<Permission> perms_ = {
      authz::OrgPermission(Action::kRead, ResourceType::kBuckets, kOrg),
      authz::OrgPermission(Action::kWrite, ResourceType::kBuckets, kOrg)};
  // Supplied-style tokens (16+ printable characters, no `authd_` prefix) and a generated one.
  const std::string active_token_ = authz::GenerateToken();
  const std::string inactive_token_ = "inactive-token-Qx9Lm2Nw7";
  const std::string inactive_user_token_ = "inactive-user-token-Rt5Yb";

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  authz::TokenIndex index_;
  authz::SessionTable sessions_{&clock_, absl::Hours(1)};
  CallerAuthenticator auth_{&index_, &sessions_};
};

TEST_F(CallerAuthenticatorTest, ActiveTokenYieldsTokenPrincipal) {
  auto p = auth_.AuthenticateToken(active_token_, "ipv4:127.0.0.1:1");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->authorization_id, kAuth);
  EXPECT_EQ(p->user_id, kUser);
  EXPECT_EQ(p->org_id, kOrg);
  EXPECT_FALSE(p->is_session);
  EXPECT_EQ(p->permissions, perms_);
}

// Expiry is judged on the wall clock (base/clock.h CoarseNowNanos), right after the lookup:
// before the user's and the token's status, as Authorize does.
TEST_F(CallerAuthenticatorTest, ExpiredTokenIsUnauthenticatedAndAUseIsMarked) {
  authz::TokenGrant expired = Grant(0x0a06, kInactiveUser, false);
  expired.expires_at_ns = 1;
  index_.Put(authz::DigestToken("expired-token-Qx9Lm2Nw7Rt5"), expired);
  auto p = auth_.AuthenticateToken("expired-token-Qx9Lm2Nw7Rt5", "peer");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), "token expired");

  authz::TokenGrant later = Grant(0x0a07, kUser, true);
  later.expires_at_ns = CoarseNowNanos() + int64_t{3600} * 1000000000;
  index_.Put(authz::DigestToken("expiring-token-Qx9Lm2Nw7Rt5"), later);
  EXPECT_TRUE(index_.TakeUsage(10).empty());
  ASSERT_TRUE(auth_.AuthenticateToken("expiring-token-Qx9Lm2Nw7Rt5", "peer").ok());
  std::vector<authz::Usage> used = index_.TakeUsage(10);
  ASSERT_EQ(used.size(), 1u);
  EXPECT_EQ(used[0].authorization_id, 0x0a07u);
}

// A rotated-away secret in its grace period is for Authorize only: as an API credential it could
// rotate the token again and lock its owner out.
TEST_F(CallerAuthenticatorTest, PreviousSecretOfARotatedTokenIsNoCredential) {
  authz::TokenGrant previous = Grant(0x0a08, kUser, true);
  previous.previous_secret = true;
  previous.expires_at_ns = CoarseNowNanos() + int64_t{3600} * 1000000000;
  index_.Put(authz::DigestToken("previous-secret-Qx9Lm2Nw7Rt5"), previous);
  auto p = auth_.AuthenticateToken("previous-secret-Qx9Lm2Nw7Rt5", "peer");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), "unauthorized access");
}

TEST_F(CallerAuthenticatorTest, UnknownTokenIsUnauthenticated) {
  auto p = auth_.AuthenticateToken("unknown-token-value-123456", "peer");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), "unauthorized access");
  auto generated = auth_.AuthenticateToken(authz::GenerateToken(), "peer");
  EXPECT_EQ(generated.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(generated.status().message(), "unauthorized access");
}

TEST_F(CallerAuthenticatorTest, InactiveTokenIsUnauthenticated) {
  auto p = auth_.AuthenticateToken(inactive_token_, "peer");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), "token is inactive");
}

TEST_F(CallerAuthenticatorTest, InactiveTokenOfInactiveUserReportsUserFirst) {
  // InfluxDB's middleware checks the user before the token's own status.
  index_.Put(authz::DigestToken("both-inactive-token-123"), Grant(0x0a04, kInactiveUser, false));
  auto p = auth_.AuthenticateToken("both-inactive-token-123", "peer");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(p.status().message(), "user is inactive");
}

TEST_F(CallerAuthenticatorTest, TokenOfInactiveUserIsPermissionDenied) {
  auto p = auth_.AuthenticateToken(inactive_user_token_, "peer");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(p.status().message(), "user is inactive");
}

TEST_F(CallerAuthenticatorTest, UserDeactivationTakesEffectAtOnce) {
  ASSERT_TRUE(auth_.AuthenticateToken(active_token_, "peer").ok());
  index_.SetUserActive(kUser, false);
  auto p = auth_.AuthenticateToken(active_token_, "peer");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(p.status().message(), "user is inactive");
  index_.SetUserActive(kUser, true);
  EXPECT_TRUE(auth_.AuthenticateToken(active_token_, "peer").ok());
}

TEST_F(CallerAuthenticatorTest, SessionTokenYieldsSessionPrincipal) {
  authz::Session session;
  const std::vector<Permission> session_perms = authz::MePermissions(kUser);
  std::string token = sessions_.Create(kUser, session_perms, &session);
  auto p = auth_.AuthenticateToken(token, "peer");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->is_session);
  EXPECT_EQ(p->authorization_id, session.id);
  EXPECT_EQ(p->user_id, kUser);
  EXPECT_EQ(p->org_id, 0u);
  EXPECT_EQ(p->permissions, session_perms);
}

TEST_F(CallerAuthenticatorTest, SessionOfInactiveUserIsPermissionDenied) {
  authz::Session session;
  std::string token = sessions_.Create(kInactiveUser, {}, &session);
  auto p = auth_.AuthenticateToken(token, "peer");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(p.status().message(), "user is inactive");
}

TEST_F(CallerAuthenticatorTest, ExpiredSessionIsUnauthenticated) {
  authz::Session session;
  std::string token = sessions_.Create(kUser, {}, &session);
  clock_.Advance(absl::Hours(1));
  auto p = auth_.AuthenticateToken(token, "peer");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), "unauthorized access");
}

TEST_F(CallerAuthenticatorTest, ErasedSessionIsUnauthenticated) {
  authz::Session session;
  std::string token = sessions_.Create(kUser, {}, &session);
  ASSERT_TRUE(sessions_.Erase(authz::DigestToken(token)));
  EXPECT_EQ(auth_.AuthenticateToken(token, "peer").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(CallerAuthenticatorTest, MalformedPrefixedTokenIsUnauthenticatedWithoutLookup) {
  // A well-formed token with its checksum broken, even if (somehow) indexed, is rejected.
  std::string broken = authz::GenerateToken();
  broken.back() = broken.back() == 'a' ? 'b' : 'a';
  ASSERT_EQ(authz::ClassifyToken(broken), authz::TokenShape::kImpossible);
  index_.Put(authz::DigestToken(broken), Grant(0x0a05, kUser, true));
  for (const std::string& t : {broken, std::string("authd_"), std::string("authd_short"),
                               active_token_.substr(0, active_token_.size() - 1)}) {
    auto p = auth_.AuthenticateToken(t, "peer");
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated) << t;
    EXPECT_EQ(p.status().message(), "unauthorized access") << t;
  }
}

TEST_F(CallerAuthenticatorTest, TooShortOrNonPrintableTokenIsUnauthenticated) {
  for (const std::string& t : {std::string(""), std::string("short"),
                               std::string("has a space in it 123"), std::string(513, 'x')}) {
    auto p = auth_.AuthenticateToken(t, "peer");
    EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(p.status().message(), "unauthorized access");
  }
}

TEST_F(CallerAuthenticatorTest, ErrorsNeverContainTheToken) {
  for (const std::string& t : {std::string("unknown-token-value-123456"), inactive_token_,
                               inactive_user_token_}) {
    auto p = auth_.AuthenticateToken(t, "peer");
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().message().find(t), std::string::npos);
  }
}

TEST_F(CallerAuthenticatorTest, ContextWithoutMetadataIsUnauthenticated) {
  grpc::ServerContext context;
  auto token = TokenFromContext(context);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(token.status().message(), "authorization metadata is missing");
  auto p = auth_.Authenticate(context);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(p.status().message(), "authorization metadata is missing");
}

}  // namespace
}  // namespace authd::services
