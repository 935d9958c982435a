// PodReplay: runs a container of a rendered Helm chart (`helm template` output) the way the
// kubelet would, but on this machine: the container's command, args and env from the manifest,
// with ConfigMap and Secret references resolved, image ENTRYPOINT/CMD/ENV/HOME taken from the
// Dockerfile, and each volumeMount recreated as a directory under a temp "pod root" (ConfigMap
// volumes filled with their keys, PVCs and emptyDirs empty).
//
// Only these things differ from the pod, and each is a rewrite the caller asks for by name:
//   - paths inside a volumeMount are moved under the pod root (so the data dir is a temp dir), in
//     args, env and authd's config file;
//   - authd's listen addresses (config file keys listen and http-listen, their flags, or
//     AUTHD_LISTEN and AUTHD_HTTP_LISTEN) become 127.0.0.1:0;
//   - for a client container, the Service address in its args becomes the server's bound address;
//   - cluster DNS names and listen addresses in args (the bundled etcd's members) and in authd's
//     config file (its etcd-endpoints) become 127.0.0.1 addresses.
// HOME (a path in the image's read-only filesystem, from the Dockerfile's useradd --home-dir) is
// placed under the pod root and not created, so a process that writes there is caught.
// Image paths of the binaries (/usr/local/bin/authd, /usr/local/bin/authctl) map to the Bazel-built
// binaries in the test's runfiles. testonly; not thread-safe.
#ifndef AUTHD_TESTS_DEPLOY_POD_REPLAY_H_
#define AUTHD_TESTS_DEPLOY_POD_REPLAY_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

namespace authd::deploy {

// What the runtime stage of deploy/docker/Dockerfile gives a container.
struct ImageSpec {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // NAME=value, from ENV instructions
  std::string user;              // USER instruction
  std::string home;              // the --home-dir of the image user (what the runtime sets HOME to)
  // Image path -> file name copied there from the build stage, e.g. /usr/local/bin/authd -> authd.
  std::map<std::string, std::string> binaries;
};

// Parses the last stage of the Dockerfile. Errors: kInvalidArgument for an instruction form this
// parser does not understand (rather than guessing).
absl::StatusOr<ImageSpec> ParseDockerfile(const std::string& path);

// `helm template` of a chart into parsed documents. `args` are extra helm arguments (-f FILE,
// --set K=V). Errors: kInternal with helm's output when helm fails.
absl::StatusOr<std::vector<YAML::Node>> RenderChart(const std::string& helm,
                                                    const std::string& chart_dir,
                                                    const std::vector<std::string>& args);

// The first document of `kind` (and `name`, if given); an undefined node if none.
YAML::Node FindObject(const std::vector<YAML::Node>& docs, const std::string& kind,
                      const std::string& name = "");

// A Secret or ConfigMap's data, decoded (Secret `data` is base64).
absl::StatusOr<std::map<std::string, std::string>> ObjectData(const YAML::Node& object);

class PodReplay {
 public:
  // Prepares the container `container` of the pod spec `pod_spec` (a Pod's spec, or a
  // StatefulSet's spec.template.spec; `claim_templates` are the StatefulSet's
  // volumeClaimTemplates). `external_secrets` stands in for Secrets that exist in the cluster but
  // are not rendered (existingSecret). `binaries` maps image file names to local executables.
  // `pod_fields` are what the downward API gives env `fieldRef`s (e.g. "metadata.name" -> the pod's
  // name); a fieldRef to any other field is kUnimplemented.
  static absl::StatusOr<PodReplay> Create(
      const std::vector<YAML::Node>& docs, const YAML::Node& pod_spec,
      const YAML::Node& claim_templates, const std::string& container, const ImageSpec& image,
      const std::map<std::string, std::string>& binaries,
      const std::map<std::string, std::map<std::string, std::string>>& external_secrets,
      const std::string& pod_root, const std::map<std::string, std::string>& pod_fields = {});

  // Rewrites authd's listen addresses to 127.0.0.1:0 wherever they are set (config file, flag,
  // env): the gRPC one (listen) and, when the pod sets it, the HTTP API's (http-listen), so that
  // the replay binds neither on all interfaces nor on a fixed port. Returns the gRPC address the
  // manifest had; manifest_http_listen() then gives the HTTP one. Errors: kNotFound when the gRPC
  // address is set nowhere.
  absl::StatusOr<std::string> RewriteListenToLoopback();

  // The HTTP API address the manifest had (effective by authd's precedence), as found by
  // RewriteListenToLoopback(); "" when the pod sets none (authd then serves no HTTP).
  const std::string& manifest_http_listen() const { return manifest_http_listen_; }

  // Replaces the argument or `--flag=` value `from` with `to`. Errors: kNotFound.
  absl::Status RewriteArgValue(const std::string& from, const std::string& to);

  // Replaces every occurrence of `from` inside the arguments (e.g. a URL in a list of URLs) with
  // `to`. Errors: kNotFound when no argument contains it.
  absl::Status RewriteArgText(const std::string& from, const std::string& to);

  // Sets the config file's key `key` to `to` and returns the value the manifest had. Errors:
  // kNotFound when there is no config file or it does not set `key`.
  absl::StatusOr<std::string> RewriteConfigValue(const std::string& key, const std::string& to);

  // The local path of a path inside the pod (must be under a volumeMount).
  absl::StatusOr<std::string> LocalPath(const std::string& pod_path) const;

  // The pod path of each volumeMount -> its local directory.
  const std::map<std::string, std::string>& mounts() const { return mounts_; }
  const std::vector<std::string>& argv() const { return argv_; }
  const std::vector<std::string>& env() const { return env_; }
  // The value of env var `name` as the container sees it ("" if unset).
  std::string EnvValue(const std::string& name) const;

  // Starts the process with exactly argv() and env(), output appended to `log_path`.
  absl::StatusOr<pid_t> Spawn(const std::string& log_path) const;

 private:
  PodReplay() = default;
  absl::Status RemapPathArgs();
  // Rewrites config key `key`, flag --`key` and env `env_name` to `to`; returns the value authd
  // would have used (flag > env > config file), "" when none sets it.
  absl::StatusOr<std::string> RewriteOption(const std::string& key, const std::string& env_name,
                                            const std::string& to);

  std::vector<std::string> argv_;
  std::vector<std::string> env_;
  std::map<std::string, std::string> mounts_;
  std::string config_file_;  // local path of the --config / AUTHD_CONFIG file, if any
  std::string manifest_http_listen_;
};

// Waits (bounded by `timeout`) for `pid` to exit. Returns the exit code; kDeadlineExceeded on
// timeout (the process is then killed), kInternal if it died of a signal.
absl::StatusOr<int> WaitExit(pid_t pid, absl::Duration timeout);

// Waits (bounded) for authd's "listening on 127.0.0.1:PORT" line after byte `offset` of the log.
// kInternal with the log if the process exits first.
absl::StatusOr<std::string> WaitListening(pid_t pid, const std::string& log_path, size_t offset,
                                          absl::Duration timeout);

// The HTTP API address authd logged ("HTTP API (InfluxDB /api/v2) at http://127.0.0.1:PORT/")
// after byte `offset` of the log; authd logs it before its "listening on" line, so it is there
// once WaitListening has returned. Errors: kNotFound when the log has no such line.
absl::StatusOr<std::string> HttpAddressInLog(const std::string& log_path, size_t offset);

std::string ReadFileOrEmpty(const std::string& path);

}  // namespace authd::deploy

#endif  // AUTHD_TESTS_DEPLOY_POD_REPLAY_H_
