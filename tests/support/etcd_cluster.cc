#include "tests/support/etcd_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "tests/support/child_process.h"

namespace authd::test_support {
namespace {

constexpr char kEtcd[] = "/usr/bin/etcd";
constexpr char kHost[] = "127.0.0.1";
// Polls of a member's status while waiting for a leader: every 50 ms, at most this many.
constexpr absl::Duration kPollInterval = absl::Milliseconds(50);
constexpr int kMaxPolls = 2000;
// Start retries the whole bootstrap when a port it picked was taken meanwhile.
constexpr int kMaxStartTries = 3;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TailLines(const std::string& text, int lines) {
  std::deque<std::string> tail;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (static_cast<int>(tail.size()) > lines) tail.pop_front();
  }
  std::string out;
  for (const std::string& l : tail) absl::StrAppend(&out, l, "\n");
  return out;
}

std::string MakeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", prefix, "XXXXXX");
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  char* made = mkdtemp(buf.data());
  return made != nullptr ? std::string(made) : std::string();
}

// `count` distinct free TCP ports on 127.0.0.1: bound to port 0 all at once (so the kernel picks
// distinct ones), then released for etcd to bind.
absl::StatusOr<std::vector<int>> FreePorts(int count) {
  std::vector<int> fds;
  std::vector<int> ports;
  absl::Status status;
  for (int i = 0; i < count && status.ok(); ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
      status = absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
      break;
    }
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    inet_pton(AF_INET, kHost, &addr.sin_addr);
    socklen_t len = sizeof(addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      status = absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", std::strerror(errno)));
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  if (!status.ok()) return status;
  return ports;
}

std::string Millis(absl::Duration d) { return absl::StrCat(absl::ToInt64Milliseconds(d)); }

}  // namespace

EtcdCluster::EtcdCluster(EtcdClusterOptions options) : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(EtcdClusterOptions options) {
  if (options.members < 1) return absl::InvalidArgumentError("an etcd cluster needs a member");
  if (access(kEtcd, X_OK) != 0) {
    return absl::FailedPreconditionError(
        "no /usr/bin/etcd: run tools/install_deps.sh (Debian package etcd-server)");
  }
  absl::Status last;
  for (int attempt = 0; attempt < kMaxStartTries; ++attempt) {
    std::unique_ptr<EtcdCluster> cluster(new EtcdCluster(options));
    last = cluster->Init();
    if (last.ok()) return cluster;
    const bool port_taken = absl::StrContains(last.message(), "address already in use");
    std::cerr << "EtcdCluster: start failed (try " << attempt + 1 << "): " << last << "\n";
    if (!port_taken) break;
    // The destructor kills the members; try again on new ports.
  }
  return last;
}

absl::Status EtcdCluster::Init() {
  root_ = MakeTempDir("etcd-cluster-");
  if (root_.empty()) return absl::InternalError("mkdtemp failed");
  std::mt19937_64 rng(std::random_device{}());
  cluster_token_ = absl::StrCat("authd-test-", rng());
  auto ports = FreePorts(2 * options_.members);
  if (!ports.ok()) return ports.status();
  members_.resize(options_.members);
  for (int i = 0; i < options_.members; ++i) {
    Member& m = members_[i];
    m.name = absl::StrCat("m", i);
    m.data_dir = absl::StrCat(root_, "/", m.name, ".etcd");
    m.log_path = absl::StrCat(root_, "/", m.name, ".log");
    m.client_port = (*ports)[2 * i];
    m.peer_port = (*ports)[2 * i + 1];
  }
  for (int i = 0; i < options_.members; ++i) {
    absl::Status s = Launch(i);
    if (!s.ok()) return s;
  }
  auto leader = WaitForLeader(options_.start_timeout);
  if (!leader.ok()) return leader.status();
  return absl::OkStatus();
}

EtcdCluster::~EtcdCluster() {
  for (Member& m : members_) {
    if (m.pid <= 0) continue;
    kill(m.pid, SIGKILL);
    int status;
    waitpid(m.pid, &status, 0);
    m.pid = -1;
  }
  if (::testing::Test::HasFailure() && !members_.empty()) {
    std::cerr << "---- etcd member logs (" << root_ << ") ----\n" << LogTails(80);
  }
}

std::vector<std::string> EtcdCluster::endpoints() const {
  std::vector<std::string> out;
  for (int i = 0; i < size(); ++i) out.push_back(endpoint(i));
  return out;
}

std::string EtcdCluster::endpoint(int i) const {
  return absl::StrCat(options_.tls_dir.empty() ? "http://" : "https://", kHost, ":",
                      members_[i].client_port);
}

const std::string& EtcdCluster::data_dir(int i) const { return members_[i].data_dir; }

bool EtcdCluster::running(int i) const { return members_[i].pid > 0; }

uint64_t EtcdCluster::member_id(int i) const { return members_[i].id; }

absl::Status EtcdCluster::Launch(int i) {
  Member& m = members_[i];
  const std::string scheme = options_.tls_dir.empty() ? "http://" : "https://";
  const std::string client_url = absl::StrCat(scheme, kHost, ":", m.client_port);
  const std::string peer_url = absl::StrCat("http://", kHost, ":", m.peer_port);
  std::vector<std::string> initial;
  for (const Member& other : members_) {
    initial.push_back(absl::StrCat(other.name, "=http://", kHost, ":", other.peer_port));
  }
  std::vector<std::string> args = {
      kEtcd,
      "--name=" + m.name,
      "--data-dir=" + m.data_dir,
      "--listen-client-urls=" + client_url,
      "--advertise-client-urls=" + client_url,
      "--listen-peer-urls=" + peer_url,
      "--initial-advertise-peer-urls=" + peer_url,
      "--initial-cluster=" + absl::StrJoin(initial, ","),
      "--initial-cluster-state=new",
      "--initial-cluster-token=" + cluster_token_,
      "--heartbeat-interval=" + Millis(options_.heartbeat),
      "--election-timeout=" + Millis(options_.election_timeout),
      "--auth-token=" + options_.auth_token,
      "--logger=zap",
      "--log-outputs=stderr",
  };
  if (options_.progress_notify_interval > absl::ZeroDuration()) {
    args.push_back("--experimental-watch-progress-notify-interval=" +
                   Millis(options_.progress_notify_interval) + "ms");
  }
  if (options_.snapshot_count > 0) {
    args.push_back(absl::StrCat("--snapshot-count=", options_.snapshot_count));
  }
  if (options_.quota_backend_bytes > 0) {
    args.push_back(absl::StrCat("--quota-backend-bytes=", options_.quota_backend_bytes));
  }
  if (options_.max_request_bytes > 0) {
    args.push_back(absl::StrCat("--max-request-bytes=", options_.max_request_bytes));
  }
  if (!options_.tls_dir.empty()) {
    args.push_back("--cert-file=" + options_.tls_dir + "/server.pem");
    args.push_back("--key-file=" + options_.tls_dir + "/server.key");
    args.push_back("--trusted-ca-file=" + options_.tls_dir + "/ca.pem");
    args.push_back("--client-cert-auth");
  }
  {
    std::ofstream(m.log_path, std::ios::app)
        << "==== " << absl::FormatTime(absl::Now()) << " " << absl::StrJoin(args, " ") << "\n";
  }

  ChildSpec child;
  child.argv = args;
  child.env = std::vector<std::string>{"PATH=/usr/bin:/bin"};
  child.stdout_path = m.log_path;
  child.die_with_parent = true;
  absl::StatusOr<pid_t> pid = SpawnChild(child);
  if (!pid.ok()) return pid.status();
  m.pid = *pid;
  m.stopped = false;
  return absl::OkStatus();
}

absl::Status EtcdCluster::CheckAlive() {
  std::vector<std::string> dead;
  for (Member& m : members_) {
    if (m.pid <= 0) continue;
    int status = 0;
    if (waitpid(m.pid, &status, WNOHANG) == m.pid) {
      m.pid = -1;
      dead.push_back(absl::StrCat(m.name, WIFEXITED(status)
                                              ? absl::StrCat(" exited ", WEXITSTATUS(status))
                                              : absl::StrCat(" died of signal ",
                                                             WTERMSIG(status))));
    }
  }
  if (dead.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("etcd member ", absl::StrJoin(dead, ", "), "\n",
                                          LogTails(30)));
}

absl::Status EtcdCluster::AskStatus(int i, absl::Duration timeout, uint64_t* id,
                                    uint64_t* leader) const {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!options_.tls_dir.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFile(options_.tls_dir + "/ca.pem");
    ssl.pem_cert_chain = ReadFile(options_.tls_dir + "/client.pem");
    ssl.pem_private_key = ReadFile(options_.tls_dir + "/client.key");
    creds = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(absl::StrCat(kHost, ":", members_[i].client_port),
                                           creds, args);
  auto stub = etcdserverpb::Maintenance::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  context.set_wait_for_ready(true);  // a member still starting up
  etcdserverpb::StatusRequest request;
  etcdserverpb::StatusResponse response;
  grpc::Status s = stub->Status(&context, request, &response);
  if (!s.ok()) {
    return absl::UnavailableError(
        absl::StrCat(members_[i].name, " status: ", s.error_message()));
  }
  *id = response.header().member_id();
  *leader = response.leader();
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> EtcdCluster::LeaderSeenBy(int i, absl::Duration timeout) {
  uint64_t id = 0, leader = 0;
  absl::Status s = AskStatus(i, timeout, &id, &leader);
  if (!s.ok()) return s;
  members_[i].id = id;
  return leader;
}

absl::StatusOr<int> EtcdCluster::WaitForLeader(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "no member asked yet";
  for (int poll = 0; poll < kMaxPolls && absl::Now() < deadline; ++poll) {
    absl::Status alive = CheckAlive();
    if (!alive.ok()) return alive;
    uint64_t agreed = 0;
    bool all_agree = true;
    for (int i = 0; i < size() && all_agree; ++i) {
      Member& m = members_[i];
      if (m.pid <= 0 || m.stopped) continue;
      uint64_t id = 0, leader = 0;
      absl::Duration left = std::max(deadline - absl::Now(), absl::Milliseconds(1));
      absl::Status s = AskStatus(i, std::min(left, absl::Seconds(1)), &id, &leader);
      if (!s.ok()) {
        last = std::string(s.message());
        all_agree = false;
        break;
      }
      m.id = id;
      if (leader == 0 || (agreed != 0 && leader != agreed)) {
        last = absl::StrCat(m.name, " sees leader ", leader);
        all_agree = false;
      }
      agreed = leader;
    }
    if (all_agree && agreed != 0) {
      for (int i = 0; i < size(); ++i) {
        if (members_[i].pid > 0 && !members_[i].stopped && members_[i].id == agreed) return i;
      }
      last = absl::StrCat("the agreed leader ", agreed, " is not a running member");
    }
    absl::SleepFor(kPollInterval);
  }
  return absl::DeadlineExceededError(absl::StrCat("etcd: no leader within ",
                                                  absl::FormatDuration(timeout), " (", last,
                                                  ")\n", LogTails(30)));
}

absl::Status EtcdCluster::Kill(int i) {
  Member& m = members_[i];
  if (m.pid <= 0) return absl::FailedPreconditionError(absl::StrCat(m.name, " is not running"));
  kill(m.pid, SIGKILL);
  int status;
  waitpid(m.pid, &status, 0);
  m.pid = -1;
  m.stopped = false;
  return absl::OkStatus();
}

absl::Status EtcdCluster::Stop(int i) {
  Member& m = members_[i];
  if (m.pid <= 0) return absl::FailedPreconditionError(absl::StrCat(m.name, " is not running"));
  kill(m.pid, SIGSTOP);
  int status = 0;
  // Returns once the child has stopped (or died).
  if (waitpid(m.pid, &status, WUNTRACED) != m.pid || !WIFSTOPPED(status)) {
    return absl::InternalError(absl::StrCat(m.name, " did not stop"));
  }
  m.stopped = true;
  return absl::OkStatus();
}

absl::Status EtcdCluster::Cont(int i) {
  Member& m = members_[i];
  if (m.pid <= 0) return absl::FailedPreconditionError(absl::StrCat(m.name, " is not running"));
  kill(m.pid, SIGCONT);
  int status = 0;
  if (waitpid(m.pid, &status, WCONTINUED) != m.pid || !WIFCONTINUED(status)) {
    return absl::InternalError(absl::StrCat(m.name, " did not continue"));
  }
  m.stopped = false;
  return absl::OkStatus();
}

absl::Status EtcdCluster::Restart(int i) { return Restart(std::vector<int>{i}); }

absl::Status EtcdCluster::Restart(const std::vector<int>& members) {
  for (int i : members) {
    if (members_[i].pid > 0) {
      absl::Status s = Kill(i);
      if (!s.ok()) return s;
    }
    absl::Status s = Launch(i);
    if (!s.ok()) return s;
  }
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  for (int i : members) {
    std::string last;
    bool led = false;
    for (int poll = 0; poll < kMaxPolls && absl::Now() < deadline && !led; ++poll) {
      absl::Status alive = CheckAlive();
      if (!alive.ok()) return alive;
      auto leader = LeaderSeenBy(i, std::min(deadline - absl::Now(), absl::Seconds(1)));
      led = leader.ok() && *leader != 0;
      if (!led) {
        last = leader.ok() ? "no leader yet" : std::string(leader.status().message());
        absl::SleepFor(kPollInterval);
      }
    }
    if (!led) {
      return absl::DeadlineExceededError(absl::StrCat(members_[i].name,
                                                      " restarted but saw no leader (", last,
                                                      ")\n", LogTails(30)));
    }
  }
  return absl::OkStatus();
}

std::string EtcdCluster::LogTails(int lines) const {
  std::string out;
  for (const Member& m : members_) {
    absl::StrAppend(&out, "---- ", m.name, " (", m.log_path, ") ----\n",
                    TailLines(ReadFile(m.log_path), lines));
  }
  return out;
}

}  // namespace authd::test_support
