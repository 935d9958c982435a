// SoakWorker: one client thread of the soak test. Each round picks one operation of a fixed mix
// (seeded, so a run is reproducible): Authorize allowed / denied (no permission, inactive) /
// unknown (well-formed, mistyped), a create-update-delete cycle of a token (so the data set stays
// bounded), a paged ListAuthorizations, and now and then a session (SignIn, a call with it,
// SignOut). Every outcome is checked against what it must be; anything else is an error.
// testonly; a worker is used by one thread; SoakCounts are merged after the threads join.
#ifndef AUTHD_TESTS_SOAK_SOAK_WORKER_H_
#define AUTHD_TESTS_SOAK_SOAK_WORKER_H_

#include <grpcpp/channel.h>

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/e2e/authd_client.h"

namespace authd::soak {

// What the workers share, prepared before the load starts.
struct SoakFixture {
  std::string operator_token;
  std::string user_id, org_id, bucket_id;
  std::string reader_token;    // may read the bucket
  std::string inactive_token;  // would read the bucket, but is inactive
  std::string password;        // the setup user's ("admin")
};

enum SoakOp {
  kAuthorizeAllowed,
  kAuthorizeNoPermission,
  kAuthorizeInactive,
  kAuthorizeUnknown,
  kAuthorizeMistyped,
  kCreate,
  kUpdate,
  kDelete,
  kListPage,
  kSignIn,
  kSessionCall,
  kSignOut,
  kSoakOpCount
};

const char* SoakOpName(int op);

struct SoakCounts {
  std::array<int64_t, kSoakOpCount> requests{};  // every request sent, by op
  std::array<int64_t, kSoakOpCount> errors{};    // unexpected outcomes, by op
  std::vector<std::string> first_errors;         // the first few, for the report

  int64_t TotalRequests() const;
  int64_t TotalErrors() const;
  void Add(const SoakCounts& other);
};

class SoakWorker {
 public:
  // Opens its own connection to `address` (127.0.0.1:port).
  SoakWorker(const std::string& address, const SoakFixture* fixture, uint32_t seed);

  // Runs rounds until `deadline` or `max_rounds`, whichever comes first; adds to counts().
  void Run(absl::Time deadline, int64_t max_rounds);
  const SoakCounts& counts() const { return counts_; }

 private:
  void Round();
  void Authorize(SoakOp op, const std::string& token, const std::string& action,
                 authd::v1::DenyReason want);
  void WriteCycle();
  void ListPages();
  void Session();
  // Counts a request of `op`; false (and an error) unless `s` is OK.
  bool Count(SoakOp op, const grpc::Status& s);
  void Error(SoakOp op, const std::string& what);

  const SoakFixture* fixture_;
  e2e::AuthdClient client_;
  std::mt19937 rng_;
  SoakCounts counts_;
};

}  // namespace authd::soak

#endif  // AUTHD_TESTS_SOAK_SOAK_WORKER_H_
