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
// backup/restore the chart documents brings the store back.
//
// Tools: helm from $AUTHD_TOOLS/node_modules/.bin and buf at $AUTHD_BUF (tools/test.sh passes
// both); the test fails, never skips, when one is missing.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

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
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
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

std::string Helm() {
  const char* tools = std::getenv("AUTHD_TOOLS");
  return tools == nullptr ? "" : absl::StrCat(tools, "/node_modules/.bin/helm");
}

std::string ChartDir() { return RunfilePath("deploy/helm/authd"); }

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
    YAML::Node sts = FindObject(docs, "StatefulSet");
    EXPECT_TRUE(sts.IsDefined()) << "no StatefulSet rendered";
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
                                               svc["spec"]["ports"][0]["port"].as<int>());
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

 private:
  const PodReplay& pod_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::string address_;
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
  int port = 0;
  std::string service;
  int timeout_seconds = 1;    // Kubernetes' default
  int period_seconds = 10;    // Kubernetes' default
  int failure_threshold = 3;  // Kubernetes' default
};

std::vector<Probe> DeclaredProbes(const YAML::Node& container) {
  std::vector<Probe> out;
  for (const char* kind : {"startupProbe", "livenessProbe", "readinessProbe"}) {
    YAML::Node p = container[kind];
    if (!p.IsDefined()) continue;
    Probe probe;
    probe.kind = kind;
    EXPECT_TRUE(p["grpc"].IsDefined()) << kind << " is not a native gRPC probe";
    probe.port = p["grpc"]["port"].as<int>(0);
    probe.service = p["grpc"]["service"].as<std::string>("");
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

// The startup probe as the kubelet runs it: every periodSeconds, at most failureThreshold times.
// The period is shortened to 50 ms here (the test has no reason to wait), the count is not.
bool StartupProbeSucceeds(const std::string& address, const Probe& probe, std::string* last_error) {
  for (int attempt = 0; attempt < probe.failure_threshold; ++attempt) {
    grpc::Status s;
    if (Check(address, probe, &s) == HealthStatus::SERVING && s.ok()) return true;
    *last_error = absl::StrCat(s.error_code(), " ", s.error_message());
    usleep(50 * 1000);
  }
  return false;
}

void ExpectProbesServing(const YAML::Node& container, const std::string& address) {
  std::vector<Probe> probes = DeclaredProbes(container);
  ASSERT_EQ(probes.size(), 3u) << "the chart declares startup, liveness and readiness probes";
  const int container_port = container["ports"][0]["containerPort"].as<int>();
  for (const Probe& probe : probes) {
    SCOPED_TRACE(probe.kind + " service \"" + probe.service + "\"");
    // The probe must target the port authd listens on in the pod (the replay rebinds it).
    EXPECT_EQ(probe.port, container_port);
    if (probe.kind == "startupProbe") {
      std::string error;
      EXPECT_TRUE(StartupProbeSucceeds(address, probe, &error)) << error;
      continue;
    }
    grpc::Status s;
    EXPECT_EQ(Check(address, probe, &s), HealthStatus::SERVING);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  }
}

YAML::Node AuthdContainer(const std::vector<YAML::Node>& docs) {
  return FindObject(docs, "StatefulSet")["spec"]["template"]["spec"]["containers"][0];
}

absl::Duration Grace(const std::vector<YAML::Node>& docs) {
  return absl::Seconds(
      FindObject(docs, "StatefulSet")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
          .as<int>(30));
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
  YAML::Node psc = FindObject(docs, "StatefulSet")["spec"]["template"]["spec"]["securityContext"];
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
  EXPECT_EQ(*listen, absl::StrCat("0.0.0.0:", container["ports"][0]["containerPort"].as<int>()))
      << "authd must listen on all interfaces on the container port in the pod";

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
    ExpectProbesServing(container, run.address());
    EXPECT_TRUE(OperatorAllowed(run.address(), token))
        << "the Secret's token is not the operator's";
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
    ExpectProbesServing(container, run.address());
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
  ExpectProbesServing(AuthdContainer(docs), run.address());
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
  const std::string token = pod->EnvValue("AUTHD_INIT_TOKEN");
  EXPECT_EQ(token, "operator-token-chosen-by-the-operator");
  const std::string log = MakeTempDir("podlog") + "/authd.log";
  RunningPod run(*pod, log);
  ASSERT_TRUE(run.Start().ok()) << ReadFileOrEmpty(log);
  ExpectProbesServing(AuthdContainer(docs), run.address());

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
  ExpectProbesServing(AuthdContainer(docs), run.address());
  {
    AuthdClient client(grpc::CreateChannel(run.address(), grpc::InsecureChannelCredentials()));
    v1::GetSetupStatusResponse status;
    ASSERT_TRUE(client.setup->GetSetupStatus(AuthdClient::Ctx().get(), {}, &status).ok());
    EXPECT_TRUE(status.allowed()) << "setup must still be open for the operator";
  }
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

  std::string token, forwarded_port;
  std::vector<std::string> buf_lines, exec_lines;
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
      EXPECT_EQ(std::stoi(m[4]), svc["spec"]["ports"][0]["port"].as<int>());
      forwarded_port = m[3];
    } else if (absl::StartsWith(line, "buf curl ")) {
      buf_lines.push_back(line);
    } else if (absl::StartsWith(line, "kubectl exec ")) {
      exec_lines.push_back(line);
    }
  }
  ASSERT_EQ(token, pod->EnvValue("AUTHD_INIT_TOKEN")) << "NOTES do not lead to the operator token";
  ASSERT_FALSE(forwarded_port.empty()) << notes;
  ASSERT_EQ(buf_lines.size(), 2u) << notes;
  ASSERT_EQ(exec_lines.size(), 1u) << notes;

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

  // `kubectl exec -n NS POD -- authctl ...`: the pod is the StatefulSet's pod 0, and the command
  // after `--` runs with the image's authctl, inside the pod (so 127.0.0.1 is authd).
  static const std::regex kExec(R"(^kubectl exec -n (\S+) (\S+) -- authctl (.*)$)");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(exec_lines[0], m, kExec)) << exec_lines[0];
  EXPECT_EQ(m[1], kNamespace);
  EXPECT_EQ(m[2], FindObject(docs, "StatefulSet")["metadata"]["name"].as<std::string>() + "-0");
  const int port = AuthdContainer(docs)["ports"][0]["containerPort"].as<int>();
  std::string args = std::regex_replace(
      std::string(m[3]), std::regex(absl::StrCat("127\\.0\\.0\\.1:", port)), run.address());
  auto r = e2e::RunCommand({"/bin/bash", "-c", binaries_["authctl"] + " " + args},
                           absl::Seconds(30), env);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0) << r->output;
  EXPECT_TRUE(absl::StrContains(r->output, org)) << r->output;
  EXPECT_EQ(StopWithinGrace(&run, Grace(docs), log), 0);
}

}  // namespace
}  // namespace authd::deploy
