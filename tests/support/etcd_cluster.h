// EtcdCluster: a real etcd cluster for tests, run from Debian's /usr/bin/etcd (etcd-server 3.4):
// N members (default 3) bootstrapped statically (--initial-cluster) on 127.0.0.1 only, on free
// ports, each with its own data dir and log file under $TEST_TMPDIR. Start returns once every
// member agrees on a leader. Members can be killed (SIGKILL), frozen (SIGSTOP) and thawed
// (SIGCONT), and restarted on the same data dir and ports. The logs are printed to stderr when
// the test failed (or Start did); the destructor kills every member.
//
// Talks to members through the generated etcd stubs directly, not EtcdClient, so a broken client
// cannot make the harness report a healthy cluster. Every wait is bounded in time and count.
// testonly; not thread-safe (one test thread drives it). Members die with the process that
// started them (PR_SET_PDEATHSIG), so a crashed test leaves no etcd behind.
#ifndef AUTHD_TESTS_SUPPORT_ETCD_CLUSTER_H_
#define AUTHD_TESTS_SUPPORT_ETCD_CLUSTER_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace authd::test_support {

struct EtcdClusterOptions {
  // Number of members. Default: 3.
  int members = 3;
  // etcd's --auth-token ("simple", or "jwt,..."). Default: "simple" (etcd's default).
  std::string auth_token = "simple";
  // etcd's --heartbeat-interval / --election-timeout. Default: 100 ms / 1 s (etcd's defaults;
  // shorter ones elect spuriously on a loaded 2-core machine).
  absl::Duration heartbeat = absl::Milliseconds(100);
  absl::Duration election_timeout = absl::Seconds(1);
  // --experimental-watch-progress-notify-interval; zero: etcd's default (10 minutes).
  absl::Duration progress_notify_interval = absl::ZeroDuration();
  // --snapshot-count, --quota-backend-bytes, --max-request-bytes; 0: etcd's default.
  int64_t snapshot_count = 0;
  int64_t quota_backend_bytes = 0;
  int64_t max_request_bytes = 0;
  // With a directory holding ca.pem, server.pem and server.key (tests/e2e/test_pki.h), clients
  // speak TLS (https:// endpoints) and must present a certificate the CA signed
  // (--client-cert-auth). Peers stay on plain http. Default: empty (plain http).
  std::string tls_dir;
  // How long Start and Restart wait for a leader. Default: 20 s.
  absl::Duration start_timeout = absl::Seconds(20);
};

class EtcdCluster {
 public:
  // Starts the members and waits until all agree on a leader. Errors: kDeadlineExceeded (no
  // leader in time) or kInternal (a member exited), with the members' logs in the message.
  static absl::StatusOr<std::unique_ptr<EtcdCluster>> Start(EtcdClusterOptions options = {});

  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  int size() const { return static_cast<int>(members_.size()); }
  // Client URLs, "http://127.0.0.1:PORT" (https:// with TLS), in member order.
  std::vector<std::string> endpoints() const;
  std::string endpoint(int i) const;
  const std::string& data_dir(int i) const;
  bool running(int i) const;

  // SIGKILL and reap. The member's data dir and ports stay reserved for Restart.
  absl::Status Kill(int i);
  // SIGSTOP / SIGCONT: a member that holds its connections open but answers nothing.
  absl::Status Stop(int i);
  absl::Status Cont(int i);
  // Starts a killed member again (kills it first if running) on the same data dir and ports, and
  // waits until it sees a leader. Errors: as Start.
  absl::Status Restart(int i);
  // The same for several members at once (launched together: a member alone cannot see a leader
  // when the others it needs for a quorum are down too).
  absl::Status Restart(const std::vector<int>& members);

  // Waits until every running, unstopped member reports the same leader; returns its index.
  // Errors: kDeadlineExceeded, with the logs.
  absl::StatusOr<int> WaitForLeader(absl::Duration timeout);
  // What member `i` says its leader is (its member ID; 0: none), asking it alone.
  absl::StatusOr<uint64_t> LeaderSeenBy(int i, absl::Duration timeout);
  // Member `i`'s etcd member ID (known once the cluster has started).
  uint64_t member_id(int i) const;

  // The last `lines` lines of each member's log.
  std::string LogTails(int lines = 40) const;

 private:
  struct Member {
    std::string name;
    std::string data_dir;
    std::string log_path;
    int client_port = 0;
    int peer_port = 0;
    pid_t pid = -1;
    bool stopped = false;
    uint64_t id = 0;
  };

  explicit EtcdCluster(EtcdClusterOptions options);
  absl::Status Launch(int i);
  absl::Status Init();
  // Member i's status over its own client URL: {member id, leader id}.
  absl::Status AskStatus(int i, absl::Duration timeout, uint64_t* id, uint64_t* leader) const;
  // Reaps members that exited on their own; an error names them.
  absl::Status CheckAlive();

  const EtcdClusterOptions options_;
  std::string root_;
  std::string cluster_token_;
  std::vector<Member> members_;
};

}  // namespace authd::test_support

#endif  // AUTHD_TESTS_SUPPORT_ETCD_CLUSTER_H_
