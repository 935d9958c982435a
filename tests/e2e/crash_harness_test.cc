// The crash harness: a client keeps creating, updating and deleting tokens while authd is kill -9ed
// at random moments, many times. After every restart, every acknowledged change is present, an
// unacknowledged one is either fully applied or not at all, and `authd verify` passes.
#include <atomic>
#include <iostream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

namespace authd::e2e {
namespace {

// What the client believes about one token.
struct Expect {
  std::string id;
  v1::DenyReason state = v1::DENY_REASON_UNSPECIFIED;  // UNSPECIFIED = allowed (active)
  // An operation whose reply was lost: the token may be in `state` or in `alternative`.
  std::optional<v1::DenyReason> alternative;
};

constexpr int kKills = 50;

class CrashHarnessTest : public SetUpAuthdTest {
 protected:
  v1::DenyReason Observe(const std::string& token) {
    auto r = client_->Authorize(token, "read", "buckets", bucket_id_, org_id_);
    return r.allowed() ? v1::DENY_REASON_UNSPECIFIED : r.reason();
  }
};

TEST_F(CrashHarnessTest, KillNineAtRandomLosesNoAcknowledgedChange) {
  std::map<std::string, Expect> model;  // token -> expectation
  std::mt19937 rng(20261127);
  uint64_t acknowledged = 0, uncertain = 0, lost = 0;
  for (int kill = 1; kill <= kKills; ++kill) {
    SCOPED_TRACE(absl::StrCat("kill #", kill));
    std::atomic<bool> stop{false};
    auto channel = authd_->channel();
    std::thread writer([&, channel] {
      AuthdClient c(channel);
      std::mt19937 wrng(kill);
      for (int op = 0; op < 10000 && !stop.load(); ++op) {
        int what = model.size() < 5 ? 0 : static_cast<int>(wrng() % 3);
        if (what == 0) {  // create
          v1::CreateAuthorizationRequest req;
          req.set_org_id(org_id_);
          *req.add_permissions() = Perm("read", "buckets", bucket_id_, org_id_);
          v1::Authorization out;
          if (!c.Create(operator_token_, req, &out).ok()) return;  // An unacknowledged create
          model[out.token()] = Expect{out.id(), v1::DENY_REASON_UNSPECIFIED, {}};  // leaves nothing we know of.
          ++acknowledged;
          continue;
        }
        // Pick an existing, not deleted token.
        auto it = model.begin();
        std::advance(it, wrng() % model.size());
        Expect& e = it->second;
        if (e.state == v1::DENY_REASON_UNKNOWN_TOKEN) continue;
        v1::DenyReason next;
        grpc::Status s;
        if (what == 1) {  // toggle status
          v1::UpdateAuthorizationRequest upd;
          upd.set_id(e.id);
          bool to_active = e.state != v1::DENY_REASON_UNSPECIFIED;
          upd.set_status(to_active ? "active" : "inactive");
          next = to_active ? v1::DENY_REASON_UNSPECIFIED : v1::DENY_REASON_INACTIVE_TOKEN;
          v1::Authorization out;
          s = c.auths->UpdateAuthorization(AuthdClient::Ctx(operator_token_).get(), upd, &out);
        } else {  // delete
          v1::DeleteAuthorizationRequest del;
          del.set_id(e.id);
          next = v1::DENY_REASON_UNKNOWN_TOKEN;
          v1::DeleteAuthorizationResponse out;
          s = c.auths->DeleteAuthorization(AuthdClient::Ctx(operator_token_).get(), del, &out);
        }
        if (s.ok()) {
          e.state = next;
          ++acknowledged;
        } else {
          e.alternative = next;  // Sent, reply lost: either outcome is legal, nothing in between.
          ++uncertain;
          return;
        }
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + rng() % 150));
    authd_->Kill9();
    stop = true;
    writer.join();

    auto verify = RunCommand({RunfilePath("services/authd"), "verify", "--data-dir=" + authd_->data_dir()},
                             absl::Seconds(60));
    ASSERT_TRUE(verify.ok());
    ASSERT_EQ(verify->exit_code, 0) << verify->output;

    ASSERT_TRUE(authd_->Start().ok()) << authd_->Log();
    Reconnect();
    for (auto& [token, e] : model) {
      v1::DenyReason seen = Observe(token);
      if (seen == e.state) {
        e.alternative.reset();
      } else if (e.alternative && seen == *e.alternative) {
        e.state = *e.alternative;
        e.alternative.reset();
      } else {
        ++lost;
        ADD_FAILURE() << "token " << e.id << " is in state " << seen << ", expected " << e.state;
        e.state = seen;
      }
    }
  }
  std::cout << "crash harness: " << kKills << " kill -9s, " << acknowledged
            << " acknowledged changes, " << uncertain << " unacknowledged in flight, " << lost
            << " lost" << std::endl;
  EXPECT_EQ(lost, 0u);
  EXPECT_GT(acknowledged, static_cast<uint64_t>(kKills));
}

}  // namespace
}  // namespace authd::e2e
