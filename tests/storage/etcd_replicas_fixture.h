// The fixture of the tests that run TokenStore replicas on a real 3-member etcd cluster
// (tests/support/etcd_cluster.h): data dirs, indexes, setup, creates retried on the errors a
// replicated write may answer with, and the checks they share. Test-only; each test owns its
// cluster and replicas.
#ifndef AUTHD_TESTS_STORAGE_ETCD_REPLICAS_FIXTURE_H_
#define AUTHD_TESTS_STORAGE_ETCD_REPLICAS_FIXTURE_H_

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "authz/token_hash.h"
#include "authz/token_index.h"
#include "base/clock.h"
#include "storage/db.h"
#include "storage/etcd/etcd_event_log.h"
#include "storage/keys.h"
#include "storage/token_store.h"
#include "tests/support/etcd_cluster.h"

namespace authd::storage {


inline constexpr absl::Duration kAwait = absl::Seconds(20);

inline std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                      "/etcd_replicas.XXXXXX";
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

// Distinctive enough that finding one in etcd's files cannot be a coincidence.
inline std::string TestToken(absl::string_view tag) {
  return absl::StrCat("rawtok-", tag, "-Qw7Er9Ty2Ui4Op6As8Df");
}

// Every regular file under `dir`, recursively, concatenated.
inline void ReadTree(const std::string& dir, std::string* out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* entry = readdir(d)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ReadTree(path, out);
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream bytes;
      bytes << in.rdbuf();
      out->append(bytes.str());
    }
  }
  closedir(d);
}

// One replica of the log alone: a Db, an index and the EtcdEventLog, without TokenStore.
struct Bare {
  authz::TokenIndex index;
  std::shared_ptr<Db> db;
  std::unique_ptr<etcd::EtcdEventLog> log;
};

// One replica: a data dir, an index, a TokenStore in etcd mode.
struct Replica {
  std::string data_dir;
  std::unique_ptr<authz::TokenIndex> index = std::make_unique<authz::TokenIndex>();
  std::unique_ptr<TokenStore> store;
};

class EtcdReplicasTest : public ::testing::Test {
 protected:
  void StartCluster() {
    auto cluster = test_support::EtcdCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
  }

  // Every replica's log options: `log_options_` (a test may change it before opening), with the
  // cluster's endpoints.
  TokenStoreOptions Options(const std::string& data_dir) {
    TokenStoreOptions options;
    options.data_dir = data_dir;
    etcd::EtcdEventLogOptions log = log_options_;
    log.client.endpoints = cluster_->endpoints();
    options.etcd = log;
    return options;
  }

  // Opens a replica on `data_dir` (a fresh one when empty).
  void Open(Replica* replica, std::string data_dir = "") {
    replica->data_dir = data_dir.empty() ? MakeTempDir() + "/data" : data_dir;
    auto store = TokenStore::Open(Options(replica->data_dir), &clock_, replica->index.get());
    ASSERT_TRUE(store.ok()) << store.status();
    replica->store = *std::move(store);
  }

  // Opens a bare replica on a fresh Db (or `bare->db` when set), with `log_options_`.
  void OpenBare(Bare* bare) {
    if (bare->db == nullptr) {
      auto db = Db::Open(MakeTempDir() + "/db");
      ASSERT_TRUE(db.ok()) << db.status();
      bare->db = std::move(*db);
    }
    etcd::EtcdEventLogOptions options = log_options_;
    options.client.endpoints = cluster_->endpoints();
    options.apply_timeout = absl::Seconds(10);
    auto log = etcd::EtcdEventLog::Open(bare->db, &bare->index, options);
    ASSERT_TRUE(log.ok()) << log.status();
    bare->log = std::move(*log);
  }

  // One OrgCreated event at `sequence` (what a bare replica appends).
  static std::vector<pb::Event> OrgCreated(uint64_t sequence, uint64_t id, const std::string& name) {
    pb::Event event;
    event.set_format_version(kEventFormatVersion);
    event.set_sequence(sequence);
    event.mutable_org_created()->mutable_org()->set_id(id);
    event.mutable_org_created()->mutable_org()->set_name(name);
    std::vector<pb::Event> events;
    events.push_back(std::move(event));
    return events;
  }

  // Whether `db`'s projections hold org `id` (a failed read fails the test).
  static bool HasOrg(Db& db, uint64_t id) {
    auto org = db.Get(kTenantsCf, TaggedIdKey(kOrgTag, id));
    EXPECT_TRUE(org.ok()) << org.status();
    return org.ok() && org->has_value();
  }

  // Appends OrgCreated events on `bare` until its log is at `last`, each acknowledged.
  void AppendOrgs(Bare& bare, uint64_t last) {
    Decision none;
    for (uint64_t seq = bare.log->Applied() + 1; seq <= last; ++seq) {
      auto appended = bare.log->Append(seq - 1, OrgCreated(seq, 1000 + seq, absl::StrCat("org", seq)),
                                       none);
      ASSERT_TRUE(appended.ok()) << appended.status();
      ASSERT_TRUE(bare.log->AwaitApplied(*appended).ok());
    }
  }

  void SetUpOperator(Replica& replica) {
    SetupCommand setup;
    setup.username = "alice";
    setup.org = "acme";
    setup.bucket = "metrics";
    setup.token = TestToken("operator");
    auto r = replica.store->Setup(setup);
    ASSERT_TRUE(r.ok()) << r.status();
    setup_ = *r;
    actor_ = Actor{r->authorization.id(), r->user.id()};
    read_buckets_ = authz::OrgPermission(authz::Action::kRead, authz::ResourceType::kBuckets, r->org.id());
  }

  bool Authorizes(const Replica& replica, const std::string& token) {
    return replica.index->Authorize(authz::DigestToken(token), read_buckets_, CoarseNowNanos()).allowed;
  }

  // One create, retried on the errors a replicated write may answer with (bounded). Returns the
  // record when acknowledged; counts the conflicts that reached the caller.
  std::optional<pb::AuthorizationRecord> CreateWithRetries(Replica& replica,
                                                           const std::string& token,
                                                           std::atomic<int>* conflicts,
                                                           std::atomic<int>* failures) {
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    for (int attempt = 0; attempt < 30 && absl::Now() < give_up; ++attempt) {
      NewAuthorization req;
      req.org_id = setup_.org.id();
      req.user_id = setup_.user.id();
      req.permissions = {read_buckets_};
      req.token = token;
      auto created = replica.store->CreateAuthorization(actor_, req);
      if (created.ok()) return *created;
      if (absl::IsAborted(created.status())) {
        ++*conflicts;
        continue;
      }
      if (absl::IsUnavailable(created.status()) || absl::IsUnknown(created.status()) ||
          absl::IsDeadlineExceeded(created.status())) {
        std::cerr << "create retried after: " << created.status() << "\n";
        ++*failures;
        continue;
      }
      ADD_FAILURE() << "create failed: " << created.status();
      return std::nullopt;
    }
    ADD_FAILURE() << "create not acknowledged after 30 attempts or 60 s";
    return std::nullopt;
  }

  // The replica's whole log, checked gap-free from 1.
  std::vector<pb::Event> Log(Replica& replica) {
    auto events = replica.store->ReadEvents(1, 100000);
    EXPECT_TRUE(events.ok()) << events.status();
    if (!events.ok()) return {};
    for (size_t i = 0; i < events->size(); ++i) {
      EXPECT_EQ((*events)[i].sequence(), i + 1) << "gap in the log";
    }
    return *events;
  }

  // IDs of the authorizations the log created, each with how many events created it.
  static std::map<uint64_t, int> CreatedIds(const std::vector<pb::Event>& events) {
    std::map<uint64_t, int> out;
    for (const pb::Event& e : events) {
      if (e.has_authorization_created()) ++out[e.authorization_created().authorization().id()];
    }
    return out;
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<test_support::EtcdCluster> cluster_;
  etcd::EtcdEventLogOptions log_options_;
  SetupResult setup_;
  Actor actor_;
  authz::Permission read_buckets_;
};

}  // namespace authd::storage

#endif  // AUTHD_TESTS_STORAGE_ETCD_REPLICAS_FIXTURE_H_
