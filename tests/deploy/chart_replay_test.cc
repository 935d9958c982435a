// The chart's StatefulSet, run for real without a cluster: `helm template` renders the chart, and
// PodReplay runs the authd container's exact command, args and env (ConfigMap and Secret
// resolved, image ENTRYPOINT/ENV/HOME from deploy/docker/Dockerfile) against the Bazel-built
// authd, on a temp directory standing in for each volume. Rewritten, and nothing else: the listen
// address 0.0.0.0:<port> becomes 127.0.0.1:0 (every call here goes to 127.0.0.1 only), paths on
// volumes (the config file, the data dir) and HOME move under the temp pod root, and the helm test
// pod's Service address becomes the bound address. Then it checks what the kubelet and an operator
// would see: the probes the chart declares answer SERVING, bootstrap runs once across two starts,
// SIGTERM exits 0 within terminationGracePeriodSeconds, nothing is written outside the data
// volume, the `helm test` pod's command passes, the NOTES.txt commands work, and the cold
// backup/restore the chart documents brings the store back. The InfluxDB HTTP API the chart turns
// on (http-listen, also rewritten to 127.0.0.1:0) answers with the Secret's token; the liveness
// probe holds while every HTTP connection is taken; http.enabled=false serves no HTTP. The
// bundled-etcd variant runs too: its 3 members from their rendered command and args (Debian's
// etcd 3.4 for the image's), and two authd replicas sharing it (their member addresses become
// 127.0.0.1 ports, the only rewrite). The ext_authz variant's route table, header prefix and
// authorization removal reach authd: Envoy's Check answers by them.
//
// Tools: helm from $AUTHD_TOOLS/node_modules/.bin and buf at $AUTHD_BUF (tools/test.sh passes
// both); the test fails, never skips, when one is missing.
#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "envoy/service/auth/v3/external_auth.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/deploy/pod_replay.h"
#include "tests/e2e/authd_client.h"
#include "tests/e2e/authd_process.h"

namespace authd::deploy {
namespace {

namespace fs = std::filesystem;
using ::authd::e2e::AuthdClient;
using ::authd::e2e::MakeTempDir;
using ::authd::e2e::RunfilePath;
using HealthStatus = ::grpc::health::v1::HealthCheckResponse;

constexpr char kRelease[] = "authd";
constexpr char kNamespace[] = "authd";
// helm template assumes Kubernetes 1.20 unless told; the chart needs >= 1.27.
constexpr char kKubeVersion[] = "1.29.0";
// Debian's etcd-server 3.4 (tools/install_deps.sh; tests/support:etcd_cluster runs it too) stands
// in for the upstream image's /usr/local/bin/etcd, of the same release line as the chart's default.
constexpr char kLocalEtcd[] = "/usr/bin/etcd";

std::string Helm() {
  const char* tools = std::getenv("AUTHD_TOOLS");
  return tools == nullptr ? "" : absl::StrCat(tools, "/node_modules/.bin/helm");
}

std::string ChartDir() { return RunfilePath("deploy/helm/authd"); }

// The `field` (containerPort, port) of the entry named `name` in a ports list; 0 if none.
int NamedPort(const YAML::Node& ports, const std::string& name, const std::string& field) {
  for (const YAML::Node& p : ports) {
    if (p["name"].as<std::string>("") == name) return p[field].as<int>(0);
  }
  return 0;
}

// authd's StatefulSet: the one whose pods are the "server" component (the bundled etcd's are
// "etcd"); an undefined node if none.
YAML::Node AuthdStatefulSet(const std::vector<YAML::Node>& docs) {
  for (const YAML::Node& d : docs) {
    if (d["kind"].as<std::string>("") == "StatefulSet" &&
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"].as<std::string>(
            "") == "server") {
      return d;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// Every regular file under `dir` (recursively) with its size and content.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out[e.path().string()] = ReadFileOrEmpty(e.path().string());
    if (e.is_directory()) out[e.path().string() + "/"] = "";
  }
  return out;
}

int CountOf(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

class ChartReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Helm().empty()) << "AUTHD_TOOLS is not set: run tools/install_deps.sh and pass "
                                    "--test_env=AUTHD_TOOLS=$PWD/.tools (tools/test.sh does)";
    ASSERT_EQ(access(Helm().c_str(), X_OK), 0)
        << "helm not found at " << Helm() << ": run tools/install_deps.sh";
    auto image = ParseDockerfile(RunfilePath("deploy/docker/Dockerfile"));
    ASSERT_TRUE(image.ok()) << image.status();
    image_ = *image;
    binaries_ = {{"authd", RunfilePath("services/authd")}, {"authctl", RunfilePath("cli/authctl")}};
  }

  std::vector<YAML::Node> Render(const std::vector<std::string>& values_files) {
    std::vector<std::string> args = {kRelease, "--namespace", kNamespace, "--kube-version",
                                     kKubeVersion};
    for (const std::string& f : values_files) {
      args.push_back("--values");
      args.push_back(ChartDir() + "/" + f);
    }
    auto docs = RenderChart(Helm(), ChartDir(), args);
    EXPECT_TRUE(docs.ok()) << docs.status();
    return docs.ok() ? *docs : std::vector<YAML::Node>{};
  }

  // NOTES.txt as `helm install` prints it. `helm template` does not print notes, so a copy of the
  // chart gets one extra template that renders NOTES.txt into a ConfigMap.
  std::string RenderNotes(const std::vector<std::string>& values_files) {
    const std::string chart = MakeTempDir("noteschart") + "/authd";
    fs::copy(ChartDir(), chart, fs::copy_options::recursive);
    std::ofstream(chart + "/templates/zz-notes-for-test.yaml")
        << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n"
        << "  notes: {{ include \"authd/templates/NOTES.txt\" . | quote }}\n";
    std::vector<std::string> args = {kRelease,
                                     "--namespace",
                                     kNamespace,
                                     "--kube-version",
                                     kKubeVersion,
                                     "--show-only",
                                     "templates/zz-notes-for-test.yaml"};
    for (const std::string& f : values_files) {
      args.push_back("--values");
      args.push_back(ChartDir() + "/" + f);
    }
    auto docs = RenderChart(Helm(), chart, args);
    EXPECT_TRUE(docs.ok()) << docs.status();
    if (!docs.ok() || docs->empty()) return "";
    return (*docs)[0]["data"]["notes"].as<std::string>("");
  }

  // The authd container of the rendered StatefulSet, ready to run under `pod_root`.
  std::unique_ptr<PodReplay> AuthdPod(
      const std::vector<YAML::Node>& docs, const std::string& pod_root,
      const std::map<std::string, std::map<std::string, std::string>>& external_secrets = {}) {
    YAML::Node sts = AuthdStatefulSet(docs);
    EXPECT_TRUE(sts.IsDefined()) << "no authd StatefulSet rendered";
    if (!sts.IsDefined()) return nullptr;
    auto replay = PodReplay::Create(docs, sts["spec"]["template"]["spec"],
                                    sts["spec"]["volumeClaimTemplates"], "authd", image_, binaries_,
                                    external_secrets, pod_root);
    EXPECT_TRUE(replay.ok()) << replay.status();
    if (!replay.ok()) return nullptr;
    return std::make_unique<PodReplay>(*replay);
  }

  // The helm test pod's container, pointed at `address` instead of the Service.
  std::unique_ptr<PodReplay> HelmTestPod(
      const std::vector<YAML::Node>& docs, const std::string& address,
      const std::map<std::string, std::map<std::string, std::string>>& external_secrets = {}) {
    YAML::Node test_pod(YAML::NodeType::Undefined);
    for (const YAML::Node& d : docs) {
      if (d["kind"].as<std::string>("") == "Pod" &&
          d["metadata"]["annotations"]["helm.sh/hook"].as<std::string>("") == "test") {
        test_pod = d;
      }
    }
    EXPECT_TRUE(test_pod.IsDefined()) << "no helm test pod rendered";
    if (!test_pod.IsDefined()) return nullptr;
    YAML::Node svc = FindObject(docs, "Service", kRelease);
    std::string service_address = absl::StrCat(svc["metadata"]["name"].as<std::string>(), ":",
                                               NamedPort(svc["spec"]["ports"], "grpc", "port"));
    const std::string container = test_pod["spec"]["containers"][0]["name"].as<std::string>();
    auto replay =
        PodReplay::Create(docs, test_pod["spec"], YAML::Node(YAML::NodeType::Undefined), container,
                          image_, binaries_, external_secrets, MakeTempDir("testpod"));
    EXPECT_TRUE(replay.ok()) << replay.status();
    if (!replay.ok()) return nullptr;
    absl::Status s = replay->RewriteArgValue(service_address, address);
    EXPECT_TRUE(s.ok()) << "the test pod does not call the Service " << service_address << ": "
                        << s;
    return std::make_unique<PodReplay>(*replay);
  }

  ImageSpec image_;
  std::map<std::string, std::string> binaries_;
};

// One run of the replayed authd container: started, and stopped by SIGTERM like the kubelet does.
class RunningPod {
 public:
  RunningPod(const PodReplay& pod, std::string log_path)
      : pod_(pod), log_path_(std::move(log_path)) {}
  ~RunningPod() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      (void)WaitExit(pid_, absl::Seconds(10));
    }
  }

  absl::Status Start() {
    size_t offset = ReadFileOrEmpty(log_path_).size();
    auto pid = pod_.Spawn(log_path_);
    if (!pid.ok()) return pid.status();
    pid_ = *pid;
    auto address = WaitListening(pid_, log_path_, offset, absl::Seconds(30));
    if (!address.ok()) {
      pid_ = -1;
      return address.status();
    }
    address_ = *address;
    // The HTTP API's bound address, when the pod serves it (logged before "listening on").
    auto http = HttpAddressInLog(log_path_, offset);
    http_address_ = http.ok() ? *http : "";
    return absl::OkStatus();
  }

  // SIGTERM, then wait up to `grace` (the pod's terminationGracePeriodSeconds) for the exit.
  absl::StatusOr<int> Terminate(absl::Duration grace, absl::Duration* took) {
    absl::Time start = absl::Now();
    kill(pid_, SIGTERM);
    auto code = WaitExit(pid_, grace);
    pid_ = -1;
    *took = absl::Now() - start;
    return code;
  }

  const std::string& address() const { return address_; }
  // 127.0.0.1:PORT of the HTTP API; "" when authd serves none.
  const std::string& http_address() const { return http_address_; }

 private:
  const PodReplay& pod_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::string address_;
  std::string http_address_;
};

// SIGTERM and the exit code, or -1 (with a test failure) when it did not exit within `grace`.
int StopWithinGrace(RunningPod* run, absl::Duration grace, const std::string& log) {
  absl::Duration took;
  auto code = run->Terminate(grace, &took);
  EXPECT_TRUE(code.ok()) << code.status() << " (terminationGracePeriodSeconds is "
                         << absl::FormatDuration(grace) << ")\n"
                         << ReadFileOrEmpty(log);
  EXPECT_LT(took, grace);
  std::cout << "SIGTERM to exit: " << absl::FormatDuration(took) << " (grace "
            << absl::FormatDuration(grace) << ")" << std::endl;
  return code.ok() ? *code : -1;
}

struct Probe {
  std::string kind;
  std::string handler;  // "grpc" (native gRPC), "tcpSocket" (the kubelet only connects), "httpGet"
  int port = 0;         // the container port it targets (a named port resolved)
  std::string service;  // grpc
  std::string path;     // httpGet
  std::string scheme;   // httpGet: HTTP or HTTPS
  int timeout_seconds = 1;    // Kubernetes' default
  int period_seconds = 10;    // Kubernetes' default
  int failure_threshold = 3;  // Kubernetes' default
};

// A probe's port: a number, or the name of one of the container's ports (as the kubelet resolves
// it); 0 when it names no port.
int ProbePort(const YAML::Node& port, const YAML::Node& container) {
  int number = 0;
  if (absl::SimpleAtoi(port.as<std::string>(""), &number)) return number;
  return NamedPort(container["ports"], port.as<std::string>(""), "containerPort");
}

std::vector<Probe> DeclaredProbes(const YAML::Node& container) {
  std::vector<Probe> out;
  for (const char* kind : {"startupProbe", "livenessProbe", "readinessProbe"}) {
    YAML::Node p = container[kind];
    if (!p.IsDefined()) continue;
    Probe probe;
    probe.kind = kind;
    if (p["tcpSocket"].IsDefined()) {
      probe.handler = "tcpSocket";
      probe.port = ProbePort(p["tcpSocket"]["port"], container);
    } else if (p["httpGet"].IsDefined()) {
      probe.handler = "httpGet";
      probe.port = ProbePort(p["httpGet"]["port"], container);
      probe.path = p["httpGet"]["path"].as<std::string>("/");
      probe.scheme = p["httpGet"]["scheme"].as<std::string>("HTTP");
    } else {
      EXPECT_TRUE(p["grpc"].IsDefined()) << kind << " is neither a gRPC, TCP nor HTTP probe";
      probe.handler = "grpc";
      probe.port = p["grpc"]["port"].as<int>(0);
      probe.service = p["grpc"]["service"].as<std::string>("");
    }
    probe.timeout_seconds = p["timeoutSeconds"].as<int>(1);
    probe.period_seconds = p["periodSeconds"].as<int>(10);
    probe.failure_threshold = p["failureThreshold"].as<int>(3);
    out.push_back(probe);
  }
  return out;
}

// grpc.health.v1.Health/Check as the kubelet sends it: the declared service name, the probe's
// timeout as the deadline, a fresh connection.
HealthStatus::ServingStatus Check(const std::string& address, const Probe& probe,
                                  grpc::Status* status) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(probe.timeout_seconds)));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(probe.service);
  HealthStatus resp;
  *status = stub->Check(&ctx, req, &resp);
  return resp.status();
}

// A TCP connection to `address` (127.0.0.1:PORT), open; -1 when it cannot be made.
int ConnectLoopback(const std::string& address) {
  int port = 0;
  if (!absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port)) return -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A tcpSocket probe as the kubelet runs it: a TCP connection to `address` (127.0.0.1:PORT) opens.
bool TcpConnects(const std::string& address) {
  int fd = ConnectLoopback(address);
  if (fd < 0) return false;
  close(fd);
  return true;
}

struct HttpAnswer {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// One HTTP/1.1 GET on a fresh connection (as the kubelet's httpGet probe and curl make it), read
// to the server's close within `timeout`.
absl::StatusOr<HttpAnswer> HttpGet(const std::string& address, const std::string& path,
                                   const std::string& token = "",
                                   absl::Duration timeout = absl::Seconds(5)) {
  int fd = ConnectLoopback(address);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("cannot connect to ", address));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(absl::ToInt64Seconds(timeout));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", address,
                                     "\r\nUser-Agent: kube-probe/1.29\r\nConnection: close\r\n");
  if (!token.empty()) absl::StrAppend(&request, "Authorization: Token ", token, "\r\n");
  absl::StrAppend(&request, "\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot send to ", address));
  }
  std::string raw;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;  // closed, reset or timed out: judge what arrived
    raw.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t end_of_head = raw.find("\r\n\r\n");
  HttpAnswer answer;
  answer.head = raw.substr(0, end_of_head);
  answer.body = end_of_head == std::string::npos ? "" : raw.substr(end_of_head + 4);
  std::vector<std::string> status_line = absl::StrSplit(raw.substr(0, raw.find("\r\n")), ' ');
  if (status_line.size() < 2 || !absl::StartsWith(status_line[0], "HTTP/1.") ||
      !absl::SimpleAtoi(status_line[1], &answer.status)) {
    return absl::DataLossError(absl::StrCat("not an HTTP answer from ", address, ": ", raw));
  }
  return answer;
}

// The pod's container ports -> the replayed authd's local addresses: the gRPC port and, when
// authd serves it, the HTTP API's.
std::map<int, std::string> LocalAddresses(const YAML::Node& container, const RunningPod& run) {
  std::map<int, std::string> out = {
      {NamedPort(container["ports"], "grpc", "containerPort"), run.address()}};
  if (!run.http_address().empty()) {
    out[NamedPort(container["ports"], "http", "containerPort")] = run.http_address();
  }
  return out;
}

// One attempt of `probe`, as the kubelet makes it, at the replay's address for the probe's port.
// True when it succeeds; else `detail` says why.
bool ProbeOnce(const Probe& probe, const std::map<int, std::string>& local, std::string* detail) {
  auto it = local.find(probe.port);
  if (it == local.end()) {
    *detail = absl::StrCat("port ", probe.port, " is not a port authd listens on in the pod");
    return false;
  }
  const std::string& address = it->second;
  if (probe.handler == "tcpSocket") {
    *detail = "no TCP connection";
    return TcpConnects(address);
  }
  if (probe.handler == "httpGet") {
    if (probe.scheme != "HTTP") {
      *detail =
          absl::StrCat("scheme ", probe.scheme, ": the replay makes plaintext HTTP probes only");
      return false;
    }
    auto answer = HttpGet(address, probe.path, "", absl::Seconds(probe.timeout_seconds));
    if (!answer.ok()) {
      *detail = answer.status().ToString();
      return false;
    }
    *detail = answer->head;
    // The kubelet's rule: any status from 200 to 399 is a success.
    return answer->status >= 200 && answer->status < 400;
  }
  grpc::Status s;
  const bool serving = Check(address, probe, &s) == HealthStatus::SERVING && s.ok();
  *detail = absl::StrCat(s.error_code(), " ", s.error_message());
  return serving;
}

// The startup probe as the kubelet runs it: every periodSeconds, at most failureThreshold times.
// The period is shortened to 50 ms here (the test has no reason to wait), the count is not.
bool StartupProbeSucceeds(const Probe& probe, const std::map<int, std::string>& local,
                          std::string* last_error) {
  for (int attempt = 0; attempt < probe.failure_threshold; ++attempt) {
    if (ProbeOnce(probe, local, last_error)) return true;
    usleep(50 * 1000);
  }
  return false;
}

void ExpectProbesServing(const YAML::Node& container, const RunningPod& run) {
  std::vector<Probe> probes = DeclaredProbes(container);
  ASSERT_EQ(probes.size(), 3u) << "the chart declares startup, liveness and readiness probes";
  const std::map<int, std::string> local = LocalAddresses(container, run);
  for (const Probe& probe : probes) {
    SCOPED_TRACE(probe.kind + " " + probe.handler +
                 (probe.handler == "grpc" ? " service \"" + probe.service + "\"" : ""));
    std::string detail;
    if (probe.kind == "startupProbe") {
      EXPECT_TRUE(StartupProbeSucceeds(probe, local, &detail)) << detail;
    } else {
      EXPECT_TRUE(ProbeOnce(probe, local, &detail)) << detail;
    }
  }
}

YAML::Node AuthdContainer(const std::vector<YAML::Node>& docs) {
  return AuthdStatefulSet(docs)["spec"]["template"]["spec"]["containers"][0];
}

absl::Duration Grace(const std::vector<YAML::Node>& docs) {
  return absl::Seconds(
      AuthdStatefulSet(docs)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].as<int>(
          30));
}

// The orgs the operator token sees, by name.
std::vector<std::string> OrgNames(const std::string& address, const std::string& token) {
  AuthdClient client(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::ListOrgsResponse orgs;
  grpc::Status s = client.tenant->ListOrgs(AuthdClient::Ctx(token).get(), {}, &orgs);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::vector<std::string> names;
  for (const auto& o : orgs.orgs()) names.push_back(o.name());
  return names;
}

bool OperatorAllowed(const std::string& address, const std::string& token) {
  AuthdClient client(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  return client.Authorize(token, "write", "orgs").allowed();
}

// The HTTP API of a running pod as InfluxDB's clients see it: /ping 204 with InfluxDB's version
// header, /health "pass", and (given a token) /api/v2/orgs listing `org` for it.
void ExpectHttpApiServes(const RunningPod& run, const std::string& token, const std::string& org) {
  ASSERT_FALSE(run.http_address().empty()) << "authd logged no HTTP API address";
  auto ping = HttpGet(run.http_address(), "/ping");
  ASSERT_TRUE(ping.ok()) << ping.status();
  EXPECT_EQ(ping->status, 204) << ping->head;
  EXPECT_TRUE(absl::StrContains(absl::AsciiStrToLower(ping->head), "\r\nx-influxdb-version:"))
      << ping->head;
  auto health = HttpGet(run.http_address(), "/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200) << health->head << "\n" << health->body;
  EXPECT_TRUE(absl::StrContains(health->body, "\"status\":\"pass\"")) << health->body;
  if (token.empty()) return;
  auto orgs = HttpGet(run.http_address(), "/api/v2/orgs", token);
  ASSERT_TRUE(orgs.ok()) << orgs.status();
  EXPECT_EQ(orgs->status, 200) << orgs->head << "\n" << orgs->body;
  EXPECT_TRUE(absl::StrContains(orgs->body, absl::StrCat("\"name\":\"", org, "\""))) << orgs->body;
}

TEST_F(ChartReplayTest, RenderedCommandIsTheImageEntrypointAndRunsAsTheImageUser) {
  std::vector<YAML::Node> docs = Render({});
  ASSERT_FALSE(docs.empty());
  YAML::Node container = AuthdContainer(docs);
  std::vector<std::string> command;
  for (const YAML::Node& c : container["command"]) command.push_back(c.as<std::string>());
  EXPECT_EQ(command, image_.entrypoint) << "the chart's command and the image's ENTRYPOINT differ";
  EXPECT_EQ(image_.binaries.count("/usr/local/bin/authd"), 1u);
  EXPECT_EQ(image_.binaries.count("/usr/local/bin/authctl"), 1u);
  // The image's USER is the pod's runAsUser:runAsGroup, and not root.
  YAML::Node psc = AuthdStatefulSet(docs)["spec"]["template"]["spec"]["securityContext"];
  EXPECT_EQ(image_.user,
            absl::StrCat(psc["runAsUser"].as<int>(), ":", psc["runAsGroup"].as<int>()));
  EXPECT_NE(psc["runAsUser"].as<int>(), 0);
  // An AUTHD_* variable in the image would silently override the chart's config file.
  for (const std::string& kv : image_.env) EXPECT_FALSE(absl::StartsWith(kv, "AUTHD_")) << kv;
}

TEST_F(ChartReplayTest, DefaultValuesServeTheirProbesBootstrapOnceAndStopWithinGrace) {
  std::vector<YAML::Node> docs = Render({});
  ASSERT_FALSE(docs.empty());
  const std::string root = MakeTempDir("pod");
  auto pod = AuthdPod(docs, root);
  ASSERT_NE(pod, nullptr);
  auto listen = pod->RewriteListenToLoopback();
  ASSERT_TRUE(listen.ok()) << listen.status();
  YAML::Node container = AuthdContainer(docs);
  EXPECT_EQ(*listen,
            absl::StrCat("0.0.0.0:", NamedPort(container["ports"], "grpc", "containerPort")))
      << "authd must listen on all interfaces on the container port in the pod";
  // The HTTP API (on by default) too, on the port the pod names http.
  const int http_port = NamedPort(container["ports"], "http", "containerPort");
  ASSERT_NE(http_port, 0) << "no container port named http";
  EXPECT_EQ(pod->manifest_http_listen(), absl::StrCat("0.0.0.0:", http_port))
      << "authd must serve the HTTP API on all interfaces on the http port in the pod";

  const std::string token = pod->EnvValue("AUTHD_INIT_TOKEN");
  const std::string password = pod->EnvValue("AUTHD_INIT_PASSWORD");
  const std::string org = pod->EnvValue("AUTHD_INIT_ORG");
  ASSERT_GE(token.size(), 16u) << "the chart's Secret must provide the operator token";
  ASSERT_GE(password.size(), 8u);
  ASSERT_FALSE(org.empty());

  // The data volume and everything else in the pod root, before anything runs.
  YAML::Node mounts = container["volumeMounts"];
  std::string data_mount;
  for (const YAML::Node& m : mounts) {
    if (m["name"].as<std::string>() == "data")
      data_mount = pod->mounts().at(m["mountPath"].as<std::string>());
  }
  ASSERT_FALSE(data_mount.empty());
  auto outside_data = [&] {
    auto all = Snapshot(root);
    for (auto it = all.begin(); it != all.end();) {
      it = absl::StartsWith(it->first, data_mount) ? all.erase(it) : std::next(it);
    }
    return all;
  };
  const auto before = outside_data();

  const std::string log = MakeTempDir("podlog") + "/authd.log";
  const absl::Duration grace = Grace(docs);
  {
    RunningPod run(*pod, log);
    ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
    ExpectProbesServing(container, run);
    EXPECT_TRUE(OperatorAllowed(run.address(), token))
        << "the Secret's token is not the operator's";
    ExpectHttpApiServes(run, token, org);
    EXPECT_EQ(OrgNames(run.address(), token), std::vector<std::string>{org});

    // `helm test`: the rendered test pod's authctl command, against this server.
    auto test_pod = HelmTestPod(docs, run.address());
    ASSERT_NE(test_pod, nullptr);
    const std::string test_log = MakeTempDir("testlog") + "/authctl.log";
    auto test_pid = test_pod->Spawn(test_log);
    ASSERT_TRUE(test_pid.ok());
    auto test_code = WaitExit(*test_pid, absl::Seconds(30));
    ASSERT_TRUE(test_code.ok()) << test_code.status();
    EXPECT_EQ(*test_code, 0) << ReadFileOrEmpty(test_log);
    EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(test_log), org)) << ReadFileOrEmpty(test_log);

    // A sibling service keeps its channel open across the shutdown, as real callers do.
    auto caller = grpc::CreateChannel(run.address(), grpc::InsecureChannelCredentials());
    ASSERT_TRUE(AuthdClient(caller).Authorize(token, "read", "orgs").allowed());
    EXPECT_EQ(StopWithinGrace(&run, grace, log), 0) << ReadFileOrEmpty(log);
  }
  // The pod restarts on the same volume with the same env: setup must not run again.
  {
    RunningPod run(*pod, log);
    ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
    ExpectProbesServing(container, run);
    EXPECT_TRUE(OperatorAllowed(run.address(), token));
    EXPECT_EQ(OrgNames(run.address(), token), std::vector<std::string>{org});
    EXPECT_EQ(StopWithinGrace(&run, grace, log), 0);
  }

  const std::string text = ReadFileOrEmpty(log);
  EXPECT_EQ(CountOf(text, "bootstrap: setup completed from AUTHD_INIT_*"), 1) << text;
  EXPECT_EQ(CountOf(text, "bootstrap: setup already done, AUTHD_INIT_* ignored"), 1) << text;
  EXPECT_EQ(CountOf(text, "authd stopped"), 2) << text;
  EXPECT_FALSE(absl::StrContains(text, token)) << "the operator token reached the log";
  EXPECT_FALSE(absl::StrContains(text, password)) << "the password reached the log";
  // log-format: json in the ConfigMap took effect: one JSON object per line.
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"") && absl::EndsWith(line, "}")) << line;
  }
  // readOnlyRootFilesystem: nothing outside the data volume changed (config, HOME, other mounts).
  EXPECT_EQ(outside_data(), before) << "authd wrote outside its data volume";
  EXPECT_FALSE(fs::exists(pod->EnvValue("HOME"))) << "authd created its HOME";
  EXPECT_FALSE(Snapshot(data_mount).empty());
}

TEST_F(ChartReplayTest, ColdBackupOfTheDataVolumeRestoresTheStore) {
  // deploy/README.md's backup: with authd stopped (replicaCount 0), the data helper pod runs
  // `tar -C <mountPath> -cf - authd`; the restore untars into an empty volume.
  std::vector<YAML::Node> docs = Render({});
  ASSERT_FALSE(docs.empty());
  auto pod = AuthdPod(docs, MakeTempDir("pod"));
  ASSERT_NE(pod, nullptr);
  ASSERT_TRUE(pod->RewriteListenToLoopback().ok());
  const std::string token = pod->EnvValue("AUTHD_INIT_TOKEN");
  const std::string log = MakeTempDir("podlog") + "/authd.log";
  {
    RunningPod run(*pod, log);
    ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
    ASSERT_TRUE(OperatorAllowed(run.address(), token));
    ASSERT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
  }
  auto data_dir = pod->LocalPath("/data/authd");
  ASSERT_TRUE(data_dir.ok());
  const std::string volume = fs::path(*data_dir).parent_path().string();
  const std::string archive = MakeTempDir("backup") + "/authd-backup.tar";
  auto tar =
      e2e::RunCommand({"/bin/tar", "-C", volume, "-cf", archive, "authd"}, absl::Seconds(30));
  ASSERT_TRUE(tar.ok() && tar->exit_code == 0)
      << (tar.ok() ? tar->output : tar.status().ToString());

  // A new, empty volume (the old one is gone), restored from the archive, then the same pod.
  fs::remove_all(volume);
  fs::create_directories(volume);
  tar = e2e::RunCommand({"/bin/tar", "-C", volume, "-xf", archive}, absl::Seconds(30));
  ASSERT_TRUE(tar.ok() && tar->exit_code == 0)
      << (tar.ok() ? tar->output : tar.status().ToString());
  RunningPod run(*pod, log);
  ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
  EXPECT_TRUE(OperatorAllowed(run.address(), token))
      << "the restored store lost the operator token";
  EXPECT_EQ(OrgNames(run.address(), token).size(), 1u);
  EXPECT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
  EXPECT_EQ(CountOf(ReadFileOrEmpty(log), "bootstrap: setup completed"), 1);
}

TEST_F(ChartReplayTest, ExistingSecretVariantBootstrapsFromTheOperatorsSecret) {
  std::vector<YAML::Node> docs = Render({"ci/existing-secret-values.yaml"});
  ASSERT_FALSE(docs.empty());
  EXPECT_FALSE(FindObject(docs, "Secret").IsDefined()) << "existingSecret: the chart renders none";
  // The Secret the operator created in the cluster, with the chart's default keys.
  const std::string token = "operator-made-token-0123456789";
  const std::map<std::string, std::map<std::string, std::string>> cluster = {
      {"authd-bootstrap-external", {{"password", "operator made password"}, {"token", token}}}};
  auto pod = AuthdPod(docs, MakeTempDir("pod"), cluster);
  ASSERT_NE(pod, nullptr);
  ASSERT_TRUE(pod->RewriteListenToLoopback().ok());
  const std::string log = MakeTempDir("podlog") + "/authd.log";
  RunningPod run(*pod, log);
  ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
  ExpectProbesServing(AuthdContainer(docs), run);
  EXPECT_TRUE(OperatorAllowed(run.address(), token));

  auto test_pod = HelmTestPod(docs, run.address(), cluster);
  ASSERT_NE(test_pod, nullptr);
  const std::string test_log = MakeTempDir("testlog") + "/authctl.log";
  auto test_pid = test_pod->Spawn(test_log);
  ASSERT_TRUE(test_pid.ok());
  auto test_code = WaitExit(*test_pid, absl::Seconds(30));
  ASSERT_TRUE(test_code.ok()) << test_code.status();
  EXPECT_EQ(*test_code, 0) << ReadFileOrEmpty(test_log);

  EXPECT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
}

TEST_F(ChartReplayTest, FullValuesVariantConfigIsAcceptedAndApplied) {
  // Every config key away from its default: authd must accept the ConfigMap the chart renders
  // (a key or value it refused would crash-loop the pod) and report the values back.
  std::vector<YAML::Node> docs = Render({"ci/full-values.yaml"});
  ASSERT_FALSE(docs.empty());
  auto pod = AuthdPod(docs, MakeTempDir("pod"));
  ASSERT_NE(pod, nullptr);
  auto listen = pod->RewriteListenToLoopback();
  ASSERT_TRUE(listen.ok());
  EXPECT_EQ(*listen, "0.0.0.0:7443");
  EXPECT_EQ(pod->manifest_http_listen(), "0.0.0.0:9086");
  const std::string token = pod->EnvValue("AUTHD_INIT_TOKEN");
  EXPECT_EQ(token, "operator-token-chosen-by-the-operator");
  const std::string log = MakeTempDir("podlog") + "/authd.log";
  RunningPod run(*pod, log);
  ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
  ExpectProbesServing(AuthdContainer(docs), run);
  // The HTTP bounds from config (authd reports no HTTP options over gRPC, so its log line).
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(log),
                                "max-connections=64 max-connections-per-peer=16 workers=2"))
      << ReadFileOrEmpty(log);
  ExpectHttpApiServes(run, token, "acme");

  v1::GetServerConfigResponse config;
  {
    AuthdClient client(grpc::CreateChannel(run.address(), grpc::InsecureChannelCredentials()));
    grpc::Status s = client.admin->GetServerConfig(AuthdClient::Ctx(token).get(), {}, &config);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(config.log_level(), "debug");
  EXPECT_FALSE(config.use_hashed_tokens());
  EXPECT_EQ(config.session_ttl_seconds(), 30 * 60);
  auto data_dir = pod->LocalPath("/var/lib/authd/authd");
  ASSERT_TRUE(data_dir.ok());
  EXPECT_EQ(config.data_dir(), *data_dir);
  EXPECT_EQ(OrgNames(run.address(), token), std::vector<std::string>{"acme"});
  // log-format: text, not JSON.
  EXPECT_FALSE(absl::StartsWith(ReadFileOrEmpty(log), "{")) << ReadFileOrEmpty(log);
  EXPECT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
}

TEST_F(ChartReplayTest, NoBootstrapVariantLeavesSetupToTheOperator) {
  std::vector<YAML::Node> docs =
      Render({"ci/no-bootstrap-values.yaml", "ci/no-persistence-values.yaml"});
  ASSERT_FALSE(docs.empty());
  auto pod = AuthdPod(docs, MakeTempDir("pod"));
  ASSERT_NE(pod, nullptr);
  ASSERT_TRUE(pod->RewriteListenToLoopback().ok());
  EXPECT_EQ(pod->EnvValue("AUTHD_INIT_USERNAME"), "");
  const std::string log = MakeTempDir("podlog") + "/authd.log";
  RunningPod run(*pod, log);
  ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
  ExpectProbesServing(AuthdContainer(docs), run);
  {
    AuthdClient client(grpc::CreateChannel(run.address(), grpc::InsecureChannelCredentials()));
    v1::GetSetupStatusResponse status;
    ASSERT_TRUE(client.setup->GetSetupStatus(AuthdClient::Ctx().get(), {}, &status).ok());
    EXPECT_TRUE(status.allowed()) << "setup must still be open for the operator";
  }
  EXPECT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
}

// File descriptors closed when this goes (connections a test holds open).
struct HeldConnections {
  ~HeldConnections() {
    for (int fd : fds) close(fd);
  }
  std::vector<int> fds;
};

TEST_F(ChartReplayTest, LivenessHoldsWhileEveryHttpConnectionIsTaken) {
  // The HTTP port's connections (http-max-connections) are shared with every HTTP client: with
  // all of them held open by one client, authd answers even /ping with 503. The liveness and
  // readiness probes the chart declares must still pass then, or that client could get a healthy
  // pod restarted (or taken out of the Service).
  std::vector<YAML::Node> docs = Render({});
  ASSERT_FALSE(docs.empty());
  auto pod = AuthdPod(docs, MakeTempDir("pod"));
  ASSERT_NE(pod, nullptr);
  ASSERT_TRUE(pod->RewriteListenToLoopback().ok());
  const std::string log = MakeTempDir("podlog") + "/authd.log";
  RunningPod run(*pod, log);
  ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
  ASSERT_FALSE(run.http_address().empty()) << ReadFileOrEmpty(log);
  // The cap in force, as authd logs it ("HTTP API (InfluxDB /api/v2) at ... max-connections=N").
  std::smatch m;
  const std::string text = ReadFileOrEmpty(log);
  ASSERT_TRUE(std::regex_search(text, m, std::regex(R"(HTTP API [^\n]* max-connections=([0-9]+))")))
      << text;
  const int cap = std::stoi(m[1]);
  ASSERT_GT(cap, 0);
  ASSERT_LE(cap, 512) << "the test holds one descriptor per connection; keep it modest";

  HeldConnections held;
  for (int i = 0; i < cap; ++i) {
    const int fd = ConnectLoopback(run.http_address());
    ASSERT_GE(fd, 0) << "connection " << i;
    held.fds.push_back(fd);
  }
  // authd accepts in order, so these are all counted before the next connection: it is refused.
  auto refused = HttpGet(run.http_address(), "/ping");
  if (refused.ok()) {
    EXPECT_EQ(refused->status, 503) << "the HTTP port is not full:\n" << refused->head;
  }  // else: closed before the 503 could be read, a refusal as well
  const YAML::Node container = AuthdContainer(docs);
  const std::map<int, std::string> local = LocalAddresses(container, run);
  for (const Probe& probe : DeclaredProbes(container)) {
    if (probe.kind == "startupProbe") continue;  // done before the flood: it never runs again
    std::string detail;
    EXPECT_TRUE(ProbeOnce(probe, local, &detail))
        << probe.kind << " fails while the HTTP port is full: " << detail;
  }

  // Once the connections close, authd counts them out and answers /ping again.
  for (int fd : held.fds) close(fd);
  held.fds.clear();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  int status = 0;
  while (absl::Now() < deadline) {
    auto ping = HttpGet(run.http_address(), "/ping");
    status = ping.ok() ? ping->status : 0;
    if (status == 204) break;
    usleep(50 * 1000);
  }
  EXPECT_EQ(status, 204) << "the HTTP port did not recover after the connections closed";
  EXPECT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
}

TEST_F(ChartReplayTest, HttpDisabledVariantServesGrpcOnly) {
  // http.enabled=false: no http-listen in the config, no port named http on the pod or the
  // Services, and authd starts without the HTTP API while its probes still serve.
  std::vector<YAML::Node> docs = Render({"ci/no-http-values.yaml"});
  ASSERT_FALSE(docs.empty());
  const YAML::Node container = AuthdContainer(docs);
  EXPECT_EQ(NamedPort(container["ports"], "http", "containerPort"), 0);
  for (const YAML::Node& d : docs) {
    if (d["kind"].as<std::string>("") != "Service") continue;
    EXPECT_EQ(NamedPort(d["spec"]["ports"], "http", "port"), 0)
        << "Service " << d["metadata"]["name"].as<std::string>("");
  }
  YAML::Node cm = FindObject(docs, "ConfigMap", kRelease);
  ASSERT_TRUE(cm.IsDefined());
  EXPECT_FALSE(absl::StrContains(cm["data"]["authd.yaml"].as<std::string>(""), "http-listen"))
      << cm["data"]["authd.yaml"].as<std::string>("");
  auto pod = AuthdPod(docs, MakeTempDir("pod"));
  ASSERT_NE(pod, nullptr);
  ASSERT_TRUE(pod->RewriteListenToLoopback().ok());
  EXPECT_EQ(pod->manifest_http_listen(), "") << "the pod sets an HTTP address";
  const std::string log = MakeTempDir("podlog") + "/authd.log";
  RunningPod run(*pod, log);
  ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
  ExpectProbesServing(container, run);
  EXPECT_EQ(run.http_address(), "");
  EXPECT_FALSE(absl::StrContains(ReadFileOrEmpty(log), "HTTP API")) << ReadFileOrEmpty(log);
  EXPECT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
}

TEST_F(ChartReplayTest, ExtAuthzVariantRoutesReachCheck) {
  // extAuthz.routes (a YAML string, as --set-file passes it) is a key of the ConfigMap on the
  // read-only config mount, and ext-authz-routes names it: authd must load it at start, and
  // Envoy's Check must answer by its routes, with the chart's header prefix, removing
  // authorization.
  std::vector<YAML::Node> docs = Render({"ci/ext-authz-values.yaml"});
  ASSERT_FALSE(docs.empty());
  auto pod = AuthdPod(docs, MakeTempDir("pod"));
  ASSERT_NE(pod, nullptr);
  ASSERT_TRUE(pod->RewriteListenToLoopback().ok());
  auto routes = pod->LocalPath("/etc/authd/ext-authz-routes.yaml");
  ASSERT_TRUE(routes.ok()) << routes.status();
  EXPECT_TRUE(absl::StrContains(ReadFileOrEmpty(*routes), "path: /api/v2/write"));
  const std::string token = pod->EnvValue("AUTHD_INIT_TOKEN");
  ASSERT_FALSE(token.empty());
  const std::string log = MakeTempDir("podlog") + "/authd.log";
  RunningPod run(*pod, log);
  ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);

  auto stub = envoy::service::auth::v3::Authorization::NewStub(
      grpc::CreateChannel(run.address(), grpc::InsecureChannelCredentials()));
  // The operator token may write any bucket: what is asked comes from the table only.
  auto check = [&](const std::string& method, const std::string& path,
                   envoy::service::auth::v3::CheckResponse* response) {
    envoy::service::auth::v3::CheckRequest request;
    auto* http = request.mutable_attributes()->mutable_request()->mutable_http();
    http->set_method(method);
    http->set_path(path);
    (*http->mutable_headers())["authorization"] = "Token " + token;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status s = stub->Check(&ctx, request, response);
    EXPECT_TRUE(s.ok()) << s.error_message();
  };
  envoy::service::auth::v3::CheckResponse response;
  check("POST", "/api/v2/write?orgID=0000000000000a01&bucket=00000000000000b1", &response);
  ASSERT_TRUE(response.has_ok_response()) << response.DebugString() << ReadFileOrEmpty(log);
  std::vector<std::string> set;
  for (const auto& h : response.ok_response().headers()) set.push_back(h.header().key());
  EXPECT_EQ(set, (std::vector<std::string>{"x-influx-auth-authorization-id",
                                           "x-influx-auth-user-id", "x-influx-auth-org-id"}));
  ASSERT_EQ(response.ok_response().headers_to_remove_size(), 1);
  EXPECT_EQ(response.ok_response().headers_to_remove(0), "authorization");
  // The table's {query.bucket} takes IDs only; a method and path it does not route are 403.
  check("POST", "/api/v2/write?orgID=0000000000000a01&bucket=metrics", &response);
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::BadRequest);
  check("DELETE", "/api/v2/orgs/0000000000000a01", &response);
  EXPECT_EQ(response.denied_response().status().code(), envoy::type::v3::Forbidden);
  EXPECT_EQ(response.status().message(), "no authd route for DELETE /api/v2/orgs/0000000000000a01");
  EXPECT_FALSE(absl::StrContains(ReadFileOrEmpty(log), token));
  EXPECT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
}

// The shell lines of NOTES.txt (continuations joined, indentation dropped).
std::vector<std::string> CommandLines(const std::string& notes) {
  std::vector<std::string> out;
  std::string current;
  for (absl::string_view raw : absl::StrSplit(notes, '\n')) {
    std::string line(absl::StripAsciiWhitespace(raw));
    if (absl::EndsWith(line, "\\")) {
      absl::StrAppend(&current, line.substr(0, line.size() - 1));
      continue;
    }
    absl::StrAppend(&current, line);
    if (!current.empty()) out.push_back(current);
    current.clear();
  }
  return out;
}

TEST_F(ChartReplayTest, NotesCommandsGetTheOperatorTokenAndCallAuthd) {
  // What `helm install` tells the operator to run, run here: the Secret lookup is checked
  // against the rendered Secret (no cluster), `kubectl port-forward` is the replayed pod's bound
  // address, and the `buf curl` and `kubectl exec ... authctl` lines run as printed.
  const char* buf = std::getenv("AUTHD_BUF");
  ASSERT_TRUE(buf != nullptr && access(buf, X_OK) == 0)
      << "AUTHD_BUF must name the buf binary (tools/install_deps.sh installs it; tools/test.sh "
         "passes it)";
  std::vector<YAML::Node> docs = Render({});
  ASSERT_FALSE(docs.empty());
  const std::string notes = RenderNotes({});
  ASSERT_FALSE(notes.empty());
  auto pod = AuthdPod(docs, MakeTempDir("pod"));
  ASSERT_NE(pod, nullptr);
  ASSERT_TRUE(pod->RewriteListenToLoopback().ok());
  const std::string org = pod->EnvValue("AUTHD_INIT_ORG");
  const std::string log = MakeTempDir("podlog") + "/authd.log";
  RunningPod run(*pod, log);
  ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);

  std::string token, forwarded_port, forwarded_http_port;
  std::vector<std::string> buf_lines, exec_lines, curl_lines;
  static const std::regex kGetToken(
      R"(^export AUTHD_TOKEN=\$\(kubectl get secret -n (\S+) (\S+) -o jsonpath='\{\.data\.([^}]+)\}' \| base64 -d\)$)");
  static const std::regex kForward(
      R"(^kubectl port-forward -n (\S+) svc/(\S+) ([0-9]+):([0-9]+) &$)");
  for (const std::string& line : CommandLines(notes)) {
    std::smatch m;
    if (std::regex_match(line, m, kGetToken)) {
      EXPECT_EQ(m[1], kNamespace);
      YAML::Node secret = FindObject(docs, "Secret", m[2]);
      ASSERT_TRUE(secret.IsDefined()) << "NOTES read Secret " << m[2] << ", which is not rendered";
      auto data = ObjectData(secret);
      ASSERT_TRUE(data.ok());
      ASSERT_EQ(data->count(m[3]), 1u) << "NOTES read key " << m[3] << ", which the Secret lacks";
      token = data->at(m[3]);
    } else if (std::regex_match(line, m, kForward)) {
      EXPECT_EQ(m[1], kNamespace);
      YAML::Node svc = FindObject(docs, "Service", m[2]);
      ASSERT_TRUE(svc.IsDefined())
          << "NOTES forward to Service " << m[2] << ", which is not rendered";
      // The Service port forwarded: gRPC's (for buf) or the HTTP API's (for curl).
      if (std::stoi(m[4]) == NamedPort(svc["spec"]["ports"], "grpc", "port")) {
        forwarded_port = m[3];
      } else if (std::stoi(m[4]) == NamedPort(svc["spec"]["ports"], "http", "port")) {
        forwarded_http_port = m[3];
      } else {
        ADD_FAILURE() << "NOTES forward port " << m[4] << ", which Service " << m[2] << " lacks";
      }
    } else if (absl::StartsWith(line, "buf curl ")) {
      buf_lines.push_back(line);
    } else if (absl::StartsWith(line, "curl ")) {
      curl_lines.push_back(line);
    } else if (absl::StartsWith(line, "kubectl exec ")) {
      exec_lines.push_back(line);
    }
  }
  ASSERT_EQ(token, pod->EnvValue("AUTHD_INIT_TOKEN")) << "NOTES do not lead to the operator token";
  ASSERT_FALSE(forwarded_port.empty()) << notes;
  ASSERT_EQ(buf_lines.size(), 2u) << notes;
  ASSERT_EQ(exec_lines.size(), 1u) << notes;
  ASSERT_FALSE(forwarded_http_port.empty()) << notes;
  ASSERT_EQ(curl_lines.size(), 1u) << notes;
  ASSERT_FALSE(run.http_address().empty()) << ReadFileOrEmpty(log);

  const std::vector<std::string> env = {
      "AUTHD_TOKEN=" + token,
      absl::StrCat("PATH=", fs::path(buf).parent_path().string(), ":/usr/bin:/bin")};
  std::string outputs;
  for (std::string line : buf_lines) {
    line = std::regex_replace(line, std::regex("127\\.0\\.0\\.1:" + forwarded_port), run.address());
    auto r = e2e::RunCommand({"/bin/bash", "-c", line}, absl::Seconds(30), env);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 0) << line << "\n" << r->output;
    outputs += r->output;
  }
  EXPECT_TRUE(absl::StrContains(outputs, "authd.v1.AuthorizeService")) << outputs;
  EXPECT_TRUE(absl::StrContains(outputs, "\"" + org + "\"")) << outputs;

  // The HTTP API's curl line, through its own port-forward.
  {
    const std::string line = std::regex_replace(
        curl_lines[0], std::regex("127\\.0\\.0\\.1:" + forwarded_http_port), run.http_address());
    auto r = e2e::RunCommand({"/bin/bash", "-c", line}, absl::Seconds(30), env);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->exit_code, 0) << line << "\n" << r->output;
    const std::string want = "\"name\":\"" + org + "\"";
    EXPECT_TRUE(absl::StrContains(r->output, want)) << line << "\n" << r->output;
  }

  // `kubectl exec -n NS POD -- authctl ...`: the pod is the StatefulSet's pod 0, and the command
  // after `--` runs with the image's authctl, inside the pod (so 127.0.0.1 is authd).
  static const std::regex kExec(R"(^kubectl exec -n (\S+) (\S+) -- authctl (.*)$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(exec_lines[0], m, kExec)) << exec_lines[0];
  EXPECT_EQ(m[1], kNamespace);
  EXPECT_EQ(m[2], AuthdStatefulSet(docs)["metadata"]["name"].as<std::string>() + "-0");
  const int port = NamedPort(AuthdContainer(docs)["ports"], "grpc", "containerPort");
  std::string args = std::regex_replace(
      std::string(m[3]), std::regex(absl::StrCat("127\\.0\\.0\\.1:", port)), run.address());
  auto r = e2e::RunCommand({"/bin/bash", "-c", binaries_["authctl"] + " " + args},
                           absl::Seconds(30), env);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_TRUE(absl::StrContains(r->output, org)) << r->output;
  EXPECT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
}

// `n` free TCP ports on 127.0.0.1 (bound together, so distinct, then released).
std::vector<int> FreePorts(int n) {
  std::vector<int> fds, ports;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "no free port on 127.0.0.1";
      if (fd >= 0) close(fd);
      break;
    }
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  return ports;
}

// The bundled etcd's members, run from the rendered StatefulSet the way the kubelet runs its pods
// <name>-0..N-1: the container's command and args (`$(POD_NAME)` from the downward API), a temp
// dir per PVC. The only rewrite: each member's cluster DNS name (<pod>.<headless>.<ns>.svc) and
// the 0.0.0.0 listen addresses become 127.0.0.1 ports; an argument naming any other address
// fails the start. The members are SIGKILLed when this goes.
class EtcdMembersReplay {
 public:
  ~EtcdMembersReplay() {
    for (pid_t pid : pids_) {
      kill(pid, SIGKILL);
      (void)WaitExit(pid, absl::Seconds(10));
    }
  }

  absl::Status Start(const std::vector<YAML::Node>& docs, const YAML::Node& sts) {
    const std::string name = sts["metadata"]["name"].as<std::string>();
    const std::string ns = sts["metadata"]["namespace"].as<std::string>();
    const std::string service = sts["spec"]["serviceName"].as<std::string>();
    const int members = sts["spec"]["replicas"].as<int>(0);
    if (members < 1) return absl::InvalidArgumentError("the etcd StatefulSet has no replicas");
    const std::vector<int> ports = FreePorts(2 * members);  // client i, peer i
    if (static_cast<int>(ports.size()) != 2 * members) return absl::InternalError("no free ports");
    auto host = [&](int i) { return absl::StrCat(name, "-", i, ".", service, ".", ns, ".svc"); };
    auto local = [&](int i, bool peer) {
      return absl::StrCat("http://127.0.0.1:", ports[2 * i + (peer ? 1 : 0)]);
    };
    ImageSpec image;  // the upstream etcd image: no ENTRYPOINT the pod relies on
    image.binaries = {{"/usr/local/bin/etcd", "etcd"}};
    for (int i = 0; i < members; ++i) {
      const std::string pod = absl::StrCat(name, "-", i);
      auto replay = PodReplay::Create(docs, sts["spec"]["template"]["spec"],
                                      sts["spec"]["volumeClaimTemplates"], "etcd", image,
                                      {{"etcd", kLocalEtcd}}, {}, MakeTempDir(pod),
                                      {{"metadata.name", pod}, {"metadata.namespace", ns}});
      if (!replay.ok()) return replay.status();
      // Every member's peer URL is in --initial-cluster; a member's own client URL is what it
      // advertises (and what authd is given).
      for (int j = 0; j < members; ++j) {
        absl::Status s =
            replay->RewriteArgText(absl::StrCat("http://", host(j), ":2380"), local(j, true));
        if (!s.ok()) return s;
      }
      for (absl::Status s :
           {replay->RewriteArgText(absl::StrCat("http://", host(i), ":2379"), local(i, false)),
            replay->RewriteArgText("http://0.0.0.0:2380", local(i, true)),
            replay->RewriteArgText("http://0.0.0.0:2379", local(i, false))}) {
        if (!s.ok()) return s;
      }
      for (const std::string& a : replay->argv()) {
        if (absl::StrContains(a, ".svc") || absl::StrContains(a, "0.0.0.0")) {
          return absl::FailedPreconditionError(
              absl::StrCat(pod, ": ", a, " names an address that is not one of the members"));
        }
      }
      logs_.push_back(MakeTempDir(pod + "-log") + "/etcd.log");
      auto pid = replay->Spawn(logs_.back());
      if (!pid.ok()) return pid.status();
      pids_.push_back(*pid);
      client_urls_.emplace_back(absl::StrCat("http://", host(i), ":2379"), local(i, false));
    }
    return absl::OkStatus();
  }

  // Member i's client URL as the manifests spell it, and the local URL standing for it.
  const std::vector<std::pair<std::string, std::string>>& client_urls() const {
    return client_urls_;
  }

  std::string Logs() const {
    std::string out;
    for (const std::string& log : logs_) {
      std::string text = ReadFileOrEmpty(log);
      absl::StrAppend(&out, "---- ", log, "\n",
                      text.substr(text.size() > 4000 ? text.size() - 4000 : 0));
    }
    return out;
  }

 private:
  std::vector<pid_t> pids_;
  std::vector<std::string> logs_;
  std::vector<std::pair<std::string, std::string>> client_urls_;
};

uint64_t PositionOf(const grpc::ClientContext& c) {
  auto md = c.GetServerInitialMetadata();
  auto it = md.find("authd-position");
  uint64_t p = 0;
  if (it == md.end() || !absl::SimpleAtoi(std::string(it->second.data(), it->second.size()), &p)) {
    ADD_FAILURE() << "no authd-position in the answer";
  }
  return p;
}

TEST_F(ChartReplayTest, BundledEtcdVariantMembersFormAClusterTwoReplicasShare) {
  ASSERT_EQ(access(kLocalEtcd, X_OK), 0) << kLocalEtcd << " not found: run tools/install_deps.sh";
  std::vector<YAML::Node> docs = Render({"ci/etcd-bundled-values.yaml"});
  ASSERT_FALSE(docs.empty());
  YAML::Node etcd_sts = FindObject(docs, "StatefulSet", std::string(kRelease) + "-etcd");
  ASSERT_TRUE(etcd_sts.IsDefined()) << "no bundled etcd StatefulSet rendered";
  // The members' own command and args: etcd refuses to start when a member's --name or its
  // advertised peer URL is not what --initial-cluster says, so a cluster forming is the check.
  EtcdMembersReplay etcd;
  absl::Status started = etcd.Start(docs, etcd_sts);
  ASSERT_TRUE(started.ok()) << started << "\n" << etcd.Logs();
  std::vector<std::string> rendered_urls, local_urls;
  for (const auto& [rendered, local] : etcd.client_urls()) {
    rendered_urls.push_back(rendered);
    local_urls.push_back(local);
  }

  // Two authd replicas of the rendered StatefulSet, each on its own volume. Started one after the
  // other, so that the first runs the bootstrap and the second finds it done.
  std::vector<std::unique_ptr<PodReplay>> pods;
  std::vector<std::unique_ptr<RunningPod>> runs;
  std::vector<std::string> logs;
  for (int r = 0; r < 2; ++r) {
    SCOPED_TRACE(absl::StrCat("replica ", r));
    pods.push_back(AuthdPod(docs, MakeTempDir(absl::StrCat("pod", r))));
    ASSERT_NE(pods.back(), nullptr);
    ASSERT_TRUE(pods.back()->RewriteListenToLoopback().ok());
    // authd is given exactly the members' advertised client URLs.
    auto endpoints =
        pods.back()->RewriteConfigValue("etcd-endpoints", absl::StrJoin(local_urls, ","));
    ASSERT_TRUE(endpoints.ok()) << endpoints.status();
    EXPECT_EQ(*endpoints, absl::StrJoin(rendered_urls, ","));
    logs.push_back(MakeTempDir(absl::StrCat("podlog", r)) + "/authd.log");
    runs.push_back(std::make_unique<RunningPod>(*pods.back(), logs.back()));
    absl::Status s = runs.back()->Start();
    ASSERT_TRUE(s.ok()) << s << "\n" << ReadFileOrEmpty(logs.back()) << "\n" << etcd.Logs();
    // Readiness (gRPC health of AuthorizeService: SERVING once caught up) and liveness (TCP).
    ExpectProbesServing(AuthdContainer(docs), *runs.back());
    // Each replica serves the HTTP API too; its /health says "pass" once caught up.
    ExpectHttpApiServes(*runs.back(), "", "");
  }
  const std::string token = pods[0]->EnvValue("AUTHD_INIT_TOKEN");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(pods[1]->EnvValue("AUTHD_INIT_TOKEN"), token);

  for (int r = 0; r < 2; ++r) {
    AuthdClient client(grpc::CreateChannel(runs[r]->address(), grpc::InsecureChannelCredentials()));
    v1::GetServerConfigResponse config;
    grpc::Status s = client.admin->GetServerConfig(AuthdClient::Ctx(token).get(), {}, &config);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(config.event_log(), "etcd") << "replica " << r;
    EXPECT_EQ(config.etcd_prefix(), "/authd/") << "replica " << r;
    EXPECT_EQ(
        std::vector<std::string>(config.etcd_endpoints().begin(), config.etcd_endpoints().end()),
        local_urls)
        << "replica " << r;
  }

  // A write through replica 0 is read on replica 1 at the position it answered with.
  uint64_t position = 0;
  {
    AuthdClient client(grpc::CreateChannel(runs[0]->address(), grpc::InsecureChannelCredentials()));
    auto ctx = AuthdClient::Ctx(token);
    v1::CreateOrgRequest req;
    req.set_name("replicated");
    v1::Org org;
    grpc::Status s = client.tenant->CreateOrg(ctx.get(), req, &org);
    ASSERT_TRUE(s.ok()) << s.error_message();
    position = PositionOf(*ctx);
  }
  {
    AuthdClient client(grpc::CreateChannel(runs[1]->address(), grpc::InsecureChannelCredentials()));
    auto ctx = AuthdClient::Ctx(token);
    ctx->AddMetadata("authd-min-position", absl::StrCat(position));
    v1::ListOrgsResponse orgs;
    grpc::Status s = client.tenant->ListOrgs(ctx.get(), {}, &orgs);
    ASSERT_TRUE(s.ok()) << s.error_message();
    std::vector<std::string> names;
    for (const auto& o : orgs.orgs()) names.push_back(o.name());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"default", "replicated"}));
  }
  for (int r = 1; r >= 0; --r) EXPECT_EQ(StopWithinGrace(runs[r].get(), Grace(docs), logs[r]), 0);
}

}  // namespace
}  // namespace authd::deploy
