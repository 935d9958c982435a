#include "tests/deploy/pod_replay.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/child_process.h"

namespace authd::deploy {
namespace {

namespace fs = std::filesystem;

// Docker's default PATH for Linux containers (set when the image has no ENV PATH).
constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// The element of the sequence `list` whose "name" is `name` (a copy sharing the document's
// memory), or an undefined node.
YAML::Node Named(const YAML::Node& list, const std::string& name) {
  for (const YAML::Node& n : list) {
    if (n["name"].as<std::string>("") == name) return n;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::vector<std::string> StringList(const YAML::Node& node) {
  std::vector<std::string> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  for (const YAML::Node& n : node) out.push_back(n.as<std::string>());
  return out;
}

// Replaces $(NAME) with the value of NAME when it is defined, as the kubelet does for command,
// args and env values; $$ escapes a $.
std::string ExpandVars(const std::string& in,
                       const std::vector<std::pair<std::string, std::string>>& env) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '$' && i + 1 < in.size() && in[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    const size_t close = in[i] == '$' && i + 1 < in.size() && in[i + 1] == '(' ? in.find(')', i + 2)
                                                                               : std::string::npos;
    const std::pair<std::string, std::string>* var = nullptr;
    if (close != std::string::npos) {
      const std::string name = in.substr(i + 2, close - i - 2);
      for (const auto& kv : env) {
        if (kv.first == name) var = &kv;
      }
    }
    if (var != nullptr) {
      out += var->second;
      i = close;
    } else {
      out += in[i];
    }
  }
  return out;
}

void SetEnv(std::vector<std::pair<std::string, std::string>>* env, const std::string& name,
            const std::string& value) {
  for (auto& [k, v] : *env) {
    if (k == name) {
      v = value;
      return;
    }
  }
  env->emplace_back(name, value);
}

}  // namespace

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<ImageSpec> ParseDockerfile(const std::string& path) {
  std::string text = ReadFileOrEmpty(path);
  if (text.empty()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  // Logical lines: comments dropped, backslash continuations joined.
  std::vector<std::string> lines;
  std::string current;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (absl::StartsWith(line, "#")) continue;
    if (absl::EndsWith(line, "\\")) {
      absl::StrAppend(&current, line.substr(0, line.size() - 1), " ");
      continue;
    }
    absl::StrAppend(&current, line);
    if (!absl::StripAsciiWhitespace(current).empty()) lines.push_back(current);
    current.clear();
  }
  size_t last_from = std::string::npos;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (absl::StartsWithIgnoreCase(lines[i], "FROM ")) last_from = i;
  }
  if (last_from == std::string::npos) return absl::InvalidArgumentError("no FROM");

  ImageSpec image;
  auto exec_form = [&](const std::string& arg,
                       const std::string& what) -> absl::StatusOr<std::vector<std::string>> {
    if (!absl::StartsWith(arg, "[")) {
      return absl::InvalidArgumentError(absl::StrCat(what, " must use the exec (JSON) form"));
    }
    try {
      return StringList(YAML::Load(arg));
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", e.what()));
    }
  };
  for (size_t i = last_from + 1; i < lines.size(); ++i) {
    std::string line = lines[i];
    size_t sp = line.find(' ');
    std::string op = absl::AsciiStrToUpper(line.substr(0, sp));
    std::string arg(absl::StripAsciiWhitespace(sp == std::string::npos ? "" : line.substr(sp + 1)));
    if (op == "ENTRYPOINT") {
      auto v = exec_form(arg, "ENTRYPOINT");
      if (!v.ok()) return v.status();
      image.entrypoint = *v;
      image.cmd.clear();  // Docker resets CMD when ENTRYPOINT is set after it.
    } else if (op == "CMD") {
      auto v = exec_form(arg, "CMD");
      if (!v.ok()) return v.status();
      image.cmd = *v;
    } else if (op == "ENV") {
      if (absl::StrContains(arg, "\"") || absl::StrContains(arg, "'") ||
          absl::StrContains(arg, "$")) {
        return absl::InvalidArgumentError(
            absl::StrCat("ENV with quotes or $ is not parsed: ", arg));
      }
      std::vector<std::string> words = absl::StrSplit(arg, ' ', absl::SkipEmpty());
      if (!words.empty() && !absl::StrContains(words[0], "=")) {  // legacy `ENV KEY value`
        std::string value = absl::StrJoin(words.begin() + 1, words.end(), " ");
        image.env.push_back(absl::StrCat(words[0], "=", value));
      } else {
        for (const std::string& w : words) image.env.push_back(w);
      }
    } else if (op == "USER") {
      image.user = arg;
    } else if (op == "COPY" || op == "ADD") {
      std::vector<std::string> words = absl::StrSplit(arg, ' ', absl::SkipEmpty());
      std::vector<std::string> paths;
      for (const std::string& w : words) {
        if (!absl::StartsWith(w, "--")) paths.push_back(w);
      }
      if (paths.size() < 2) return absl::InvalidArgumentError(absl::StrCat("COPY: ", arg));
      const std::string& dest = paths.back();
      for (size_t j = 0; j + 1 < paths.size(); ++j) {
        std::string base = fs::path(paths[j]).filename().string();
        if (absl::EndsWith(dest, "/")) {
          image.binaries[dest + base] = base;
        } else if (paths.size() == 2) {
          image.binaries[dest] = base;
        }
      }
    } else if (op == "RUN") {
      std::smatch m;
      static const std::regex kHome("useradd[^&;]*--home-dir[ =]([^ ]+)");
      if (std::regex_search(line, m, kHome)) image.home = m[1];
    }
  }
  return image;
}

absl::StatusOr<std::vector<YAML::Node>> RenderChart(const std::string& helm,
                                                    const std::string& chart_dir,
                                                    const std::vector<std::string>& args) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/helm");
  fs::create_directories(dir);
  std::string out_path = dir + "/out.yaml";
  std::string err_path = dir + "/err.txt";
  std::vector<std::string> argv = {helm, "template"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(chart_dir);
  test_support::ChildSpec child;
  child.argv = argv;
  // helm keeps caches and config under these; keep them inside the test's temp dir.
  child.extra_env = {"HELM_CACHE_HOME=" + dir + "/cache", "HELM_CONFIG_HOME=" + dir + "/config",
                     "HELM_DATA_HOME=" + dir + "/data"};
  child.stdout_path = out_path;
  child.stderr_path = err_path;
  child.truncate = true;
  absl::StatusOr<pid_t> pid = test_support::SpawnChild(child);
  if (!pid.ok()) return pid.status();
  auto code = WaitExit(*pid, absl::Seconds(60));
  if (!code.ok()) return code.status();
  if (*code != 0) {
    return absl::InternalError(absl::StrCat("helm template failed (exit ", *code,
                                            "): ", absl::StrJoin(argv, " "), "\n",
                                            ReadFileOrEmpty(err_path)));
  }
  try {
    std::vector<YAML::Node> docs;
    for (const YAML::Node& d : YAML::LoadAllFromFile(out_path)) {
      if (d.IsMap()) docs.push_back(d);
    }
    return docs;
  } catch (const YAML::Exception& e) {
    return absl::InternalError(absl::StrCat("helm output is not YAML: ", e.what()));
  }
}

YAML::Node FindObject(const std::vector<YAML::Node>& docs, const std::string& kind,
                      const std::string& name) {
  for (const YAML::Node& d : docs) {
    if (d["kind"].as<std::string>("") != kind) continue;
    if (!name.empty() && d["metadata"]["name"].as<std::string>("") != name) continue;
    return d;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

absl::StatusOr<std::map<std::string, std::string>> ObjectData(const YAML::Node& object) {
  std::map<std::string, std::string> out;
  const bool secret = object["kind"].as<std::string>("") == "Secret";
  const YAML::Node data = object["data"];
  if (data.IsDefined() && data.IsMap()) {
    for (const auto& kv : data) {
      std::string key = kv.first.as<std::string>();
      std::string value = kv.second.as<std::string>("");
      if (secret) {
        std::string decoded;
        if (!absl::Base64Unescape(value, &decoded)) {
          return absl::InvalidArgumentError(absl::StrCat("Secret key ", key, " is not base64"));
        }
        value = decoded;
      }
      out[key] = value;
    }
  }
  const YAML::Node string_data = object["stringData"];
  if (secret && string_data.IsDefined() && string_data.IsMap()) {
    for (const auto& kv : string_data)
      out[kv.first.as<std::string>()] = kv.second.as<std::string>("");
  }
  return out;
}

absl::StatusOr<PodReplay> PodReplay::Create(
    const std::vector<YAML::Node>& docs, const YAML::Node& pod_spec,
    const YAML::Node& claim_templates, const std::string& container_name, const ImageSpec& image,
    const std::map<std::string, std::string>& binaries,
    const std::map<std::string, std::map<std::string, std::string>>& external_secrets,
    const std::string& pod_root, const std::map<std::string, std::string>& pod_fields) {
  PodReplay replay;
  // The nodes looked into are const copies of the documents' own: through a non-const Node that
  // was assigned into (`Node n; n = other;`), yaml-cpp adds each missing key looked up to the
  // shared document but in that Node's own memory, freed with it, and the next Create on the
  // same documents (a second replica) would compare keys that are gone.
  const YAML::Node container = Named(pod_spec["containers"], container_name);
  if (!container.IsDefined()) {
    return absl::NotFoundError(absl::StrCat("no container named ", container_name));
  }

  // A Secret, rendered or external.
  auto secret_data =
      [&](const std::string& name) -> absl::StatusOr<std::map<std::string, std::string>> {
    YAML::Node s = FindObject(docs, "Secret", name);
    if (s.IsDefined()) return ObjectData(s);
    auto it = external_secrets.find(name);
    if (it != external_secrets.end()) return it->second;
    return absl::NotFoundError(absl::StrCat("Secret ", name, " is neither rendered nor external"));
  };
  auto configmap_data =
      [&](const std::string& name) -> absl::StatusOr<std::map<std::string, std::string>> {
    YAML::Node cm = FindObject(docs, "ConfigMap", name);
    if (!cm.IsDefined())
      return absl::NotFoundError(absl::StrCat("ConfigMap ", name, " not rendered"));
    return ObjectData(cm);
  };

  // Volumes: each mount becomes <pod_root><mountPath>.
  for (const YAML::Node& m : container["volumeMounts"]) {
    std::string name = m["name"].as<std::string>();
    std::string mount_path = m["mountPath"].as<std::string>();
    if (m["subPath"].IsDefined())
      return absl::UnimplementedError("subPath mounts are not replayed");
    std::string local = pod_root + mount_path;
    fs::create_directories(local);
    replay.mounts_[mount_path] = local;
    const YAML::Node volume = Named(pod_spec["volumes"], name);
    if (!volume.IsDefined()) {
      bool is_claim = false;
      if (claim_templates.IsDefined()) {
        for (const YAML::Node& t : claim_templates) {
          if (t["metadata"]["name"].as<std::string>("") == name) is_claim = true;
        }
      }
      if (!is_claim)
        return absl::NotFoundError(absl::StrCat("volumeMount ", name, " has no volume"));
      continue;  // a fresh PVC: an empty directory
    }
    if (volume["emptyDir"].IsDefined() || volume["persistentVolumeClaim"].IsDefined()) continue;
    absl::StatusOr<std::map<std::string, std::string>> data;
    if (volume["configMap"].IsDefined()) {
      data = configmap_data(volume["configMap"]["name"].as<std::string>());
    } else if (volume["secret"].IsDefined()) {
      data = secret_data(volume["secret"]["secretName"].as<std::string>());
    } else {
      return absl::UnimplementedError(absl::StrCat("volume ", name, ": type not replayed"));
    }
    const YAML::Node items =
        volume["configMap"].IsDefined() ? volume["configMap"]["items"] : volume["secret"]["items"];
    if (!data.ok()) return data.status();
    if (items.IsDefined()) {
      for (const YAML::Node& item : items) {
        auto it = data->find(item["key"].as<std::string>());
        if (it == data->end())
          return absl::NotFoundError(absl::StrCat("volume ", name, ": no key"));
        absl::Status s = WriteFile(local + "/" + item["path"].as<std::string>(), it->second);
        if (!s.ok()) return s;
      }
    } else {
      for (const auto& [key, value] : *data) {
        absl::Status s = WriteFile(local + "/" + key, value);
        if (!s.ok()) return s;
      }
    }
  }

  // Environment: the image's, HOME and PATH as the runtime sets them, then the container's.
  std::vector<std::pair<std::string, std::string>> env;
  for (const std::string& kv : image.env) {
    size_t eq = kv.find('=');
    SetEnv(&env, kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  bool has_path = false, has_home = false;
  for (const auto& [k, v] : env) {
    has_path |= k == "PATH";
    has_home |= k == "HOME";
  }
  if (!has_path) SetEnv(&env, "PATH", kDefaultPath);
  // HOME is a path in the image's (read-only) filesystem: placed under the pod root, not created.
  if (!has_home) SetEnv(&env, "HOME", pod_root + (image.home.empty() ? "/" : image.home));
  if (container["envFrom"].IsDefined()) return absl::UnimplementedError("envFrom is not replayed");
  for (const YAML::Node& e : container["env"]) {
    std::string name = e["name"].as<std::string>();
    if (e["value"].IsDefined()) {
      SetEnv(&env, name, ExpandVars(e["value"].as<std::string>(""), env));
      continue;
    }
    const YAML::Node from = e["valueFrom"];
    if (!from.IsDefined()) {
      SetEnv(&env, name, "");
      continue;
    }
    if (from["fieldRef"].IsDefined()) {
      const std::string field = from["fieldRef"]["fieldPath"].as<std::string>("");
      auto it = pod_fields.find(field);
      if (it == pod_fields.end()) {
        return absl::UnimplementedError(
            absl::StrCat("env ", name, ": fieldRef ", field, " not given to the replay"));
      }
      SetEnv(&env, name, it->second);
      continue;
    }
    const YAML::Node ref =
        from["secretKeyRef"].IsDefined() ? from["secretKeyRef"] : from["configMapKeyRef"];
    absl::StatusOr<std::map<std::string, std::string>> data;
    if (from["secretKeyRef"].IsDefined()) {
      data = secret_data(ref["name"].as<std::string>());
    } else if (from["configMapKeyRef"].IsDefined()) {
      data = configmap_data(ref["name"].as<std::string>());
    } else {
      return absl::UnimplementedError(absl::StrCat("env ", name, ": valueFrom kind not replayed"));
    }
    const bool optional = ref["optional"].as<bool>(false);
    if (!data.ok()) {
      if (optional) continue;
      return absl::Status(data.status().code(),
                          absl::StrCat("env ", name, ": ", data.status().message()));
    }
    auto it = data->find(ref["key"].as<std::string>());
    if (it == data->end()) {
      if (optional) continue;
      return absl::NotFoundError(absl::StrCat("env ", name, ": key ", ref["key"].as<std::string>(),
                                              " missing in ", ref["name"].as<std::string>()));
    }
    SetEnv(&env, name, it->second);
  }

  // Kubernetes: command replaces ENTRYPOINT (and drops CMD); args replace CMD.
  std::vector<std::string> command = StringList(container["command"]);
  std::vector<std::string> args = StringList(container["args"]);
  std::vector<std::string> argv;
  if (!command.empty()) {
    argv = command;
    argv.insert(argv.end(), args.begin(), args.end());
  } else {
    argv = image.entrypoint;
    const std::vector<std::string>& tail = container["args"].IsDefined() ? args : image.cmd;
    argv.insert(argv.end(), tail.begin(), tail.end());
  }
  if (argv.empty()) return absl::InvalidArgumentError("no command: neither the pod nor the image");
  for (std::string& a : argv) a = ExpandVars(a, env);
  auto image_file = image.binaries.find(argv[0]);
  if (image_file == image.binaries.end()) {
    return absl::NotFoundError(absl::StrCat(argv[0], " is not a binary the Dockerfile copies"));
  }
  auto local_binary = binaries.find(image_file->second);
  if (local_binary == binaries.end()) {
    return absl::NotFoundError(absl::StrCat("no local build of ", image_file->second));
  }
  argv[0] = local_binary->second;
  replay.argv_ = argv;
  for (const auto& [k, v] : env) replay.env_.push_back(absl::StrCat(k, "=", v));

  absl::Status remapped = replay.RemapPathArgs();
  if (!remapped.ok()) return remapped;
  return replay;
}

absl::StatusOr<std::string> PodReplay::LocalPath(const std::string& pod_path) const {
  std::string best;
  for (const auto& [mount, local] : mounts_) {
    if ((pod_path == mount || absl::StartsWith(pod_path, mount + "/")) &&
        mount.size() > best.size()) {
      best = mount;
    }
  }
  if (best.empty()) return absl::NotFoundError(absl::StrCat(pod_path, " is not on a volume"));
  return mounts_.at(best) + pod_path.substr(best.size());
}

absl::Status PodReplay::RemapPathArgs() {
  auto remap = [&](std::string* value) {
    if (!absl::StartsWith(*value, "/")) return;
    auto local = LocalPath(*value);
    if (local.ok()) *value = *local;
  };
  for (size_t i = 1; i < argv_.size(); ++i) {
    std::string& a = argv_[i];
    size_t eq = a.find('=');
    if (absl::StartsWith(a, "--") && eq != std::string::npos) {
      std::string value = a.substr(eq + 1);
      remap(&value);
      a = a.substr(0, eq + 1) + value;
    } else {
      remap(&a);
    }
    if (absl::StartsWith(a, "--config=")) config_file_ = a.substr(9);
    if (a == "--config" && i + 1 < argv_.size()) {
      remap(&argv_[i + 1]);
      config_file_ = argv_[i + 1];
    }
  }
  for (std::string& kv : env_) {
    size_t eq = kv.find('=');
    std::string name = kv.substr(0, eq);
    if (name == "HOME") continue;  // already placed under the pod root
    std::string value = kv.substr(eq + 1);
    remap(&value);
    kv = name + "=" + value;
    if (name == "AUTHD_CONFIG" && config_file_.empty()) config_file_ = value;
  }
  // authd's config file: its data-dir is a pod path too, and so is any other absolute path on a
  // volume (the ext_authz route table on the config mount, etcd's TLS files).
  if (!config_file_.empty()) {
    try {
      YAML::Node config = YAML::LoadFile(config_file_);
      if (config["data-dir"].IsDefined() &&
          !LocalPath(config["data-dir"].as<std::string>()).ok()) {
        return absl::FailedPreconditionError(
            absl::StrCat("config data-dir ", config["data-dir"].as<std::string>(),
                         " is not on a volume: it would be written to the "
                         "container's root filesystem"));
      }
      std::vector<std::pair<std::string, std::string>> remapped;
      for (const auto& kv : config) {
        if (!kv.second.IsScalar() || !absl::StartsWith(kv.second.Scalar(), "/")) continue;
        auto local = LocalPath(kv.second.Scalar());
        if (local.ok()) remapped.emplace_back(kv.first.Scalar(), *local);
      }
      for (const auto& [key, local] : remapped) config[key] = local;
      if (!remapped.empty()) {
        YAML::Emitter out;
        out << config;
        return WriteFile(config_file_, std::string(out.c_str()) + "\n");
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("config file ", config_file_, ": ", e.what()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> PodReplay::RewriteOption(const std::string& key,
                                                     const std::string& env_name,
                                                     const std::string& to) {
  std::string from_file, from_env, from_flag;
  if (!config_file_.empty()) {
    try {
      YAML::Node config = YAML::LoadFile(config_file_);
      if (config[key].IsDefined()) {
        from_file = config[key].as<std::string>();
        config[key] = to;
        YAML::Emitter out;
        out << config;
        absl::Status s = WriteFile(config_file_, std::string(out.c_str()) + "\n");
        if (!s.ok()) return s;
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("config file ", config_file_, ": ", e.what()));
    }
  }
  const std::string env_prefix = env_name + "=";
  for (std::string& kv : env_) {
    if (absl::StartsWith(kv, env_prefix)) {
      from_env = kv.substr(env_prefix.size());
      kv = env_prefix + to;
    }
  }
  const std::string flag = "--" + key;
  for (size_t i = 1; i < argv_.size(); ++i) {
    if (absl::StartsWith(argv_[i], flag + "=")) {
      from_flag = argv_[i].substr(flag.size() + 1);
      argv_[i] = flag + "=" + to;
    } else if (argv_[i] == flag && i + 1 < argv_.size()) {
      from_flag = argv_[i + 1];
      argv_[i + 1] = to;
    }
  }
  // authd's precedence: flag > env > config file.
  if (!from_flag.empty()) return from_flag;
  if (!from_env.empty()) return from_env;
  return from_file;
}

absl::StatusOr<std::string> PodReplay::RewriteListenToLoopback() {
  const std::string loopback = "127.0.0.1:0";
  absl::StatusOr<std::string> grpc = RewriteOption("listen", "AUTHD_LISTEN", loopback);
  if (!grpc.ok()) return grpc.status();
  absl::StatusOr<std::string> http = RewriteOption("http-listen", "AUTHD_HTTP_LISTEN", loopback);
  if (!http.ok()) return http.status();
  manifest_http_listen_ = *http;
  if (grpc->empty()) {
    return absl::NotFoundError("the listen address is set nowhere (authd would use its default)");
  }
  return *grpc;
}

absl::Status PodReplay::RewriteArgValue(const std::string& from, const std::string& to) {
  for (size_t i = 1; i < argv_.size(); ++i) {
    std::string& a = argv_[i];
    if (a == from) {
      a = to;
      return absl::OkStatus();
    }
    size_t eq = a.find('=');
    if (absl::StartsWith(a, "--") && eq != std::string::npos && a.substr(eq + 1) == from) {
      a = a.substr(0, eq + 1) + to;
      return absl::OkStatus();
    }
  }
  return absl::NotFoundError(absl::StrCat("no argument ", from, " in ", absl::StrJoin(argv_, " ")));
}

absl::Status PodReplay::RewriteArgText(const std::string& from, const std::string& to) {
  bool found = false;
  for (size_t i = 1; i < argv_.size(); ++i) {
    if (absl::StrContains(argv_[i], from)) {
      argv_[i] = absl::StrReplaceAll(argv_[i], {{from, to}});
      found = true;
    }
  }
  if (found) return absl::OkStatus();
  return absl::NotFoundError(
      absl::StrCat("no argument contains ", from, " in ", absl::StrJoin(argv_, " ")));
}

absl::StatusOr<std::string> PodReplay::RewriteConfigValue(const std::string& key,
                                                          const std::string& to) {
  if (config_file_.empty()) return absl::NotFoundError("no config file");
  try {
    YAML::Node config = YAML::LoadFile(config_file_);
    if (!config[key].IsDefined()) {
      return absl::NotFoundError(absl::StrCat("the config file does not set ", key));
    }
    std::string from = config[key].as<std::string>();
    config[key] = to;
    YAML::Emitter out;
    out << config;
    absl::Status s = WriteFile(config_file_, std::string(out.c_str()) + "\n");
    if (!s.ok()) return s;
    return from;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config file ", config_file_, ": ", e.what()));
  }
}

std::string PodReplay::EnvValue(const std::string& name) const {
  for (const std::string& kv : env_) {
    if (absl::StartsWith(kv, name + "=")) return kv.substr(name.size() + 1);
  }
  return "";
}

absl::StatusOr<pid_t> PodReplay::Spawn(const std::string& log_path) const {
  test_support::ChildSpec child;
  child.argv = argv_;
  child.env = env_;
  child.stdout_path = log_path;
  return test_support::SpawnChild(child);
}

absl::StatusOr<int> WaitExit(pid_t pid, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return absl::InternalError("waitpid failed");
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(
          absl::StrCat("process did not exit within ", absl::FormatDuration(timeout)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return absl::InternalError(absl::StrCat("process died of signal ", WTERMSIG(status)));
}

absl::StatusOr<std::string> WaitListening(pid_t pid, const std::string& log_path, size_t offset,
                                          absl::Duration timeout) {
  static const std::regex kListening("listening on (127\\.0\\.0\\.1:[0-9]+)");
  absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    std::string log = ReadFileOrEmpty(log_path);
    log = log.size() > offset ? log.substr(offset) : "";
    std::smatch m;
    if (std::regex_search(log, m, kListening)) return std::string(m[1]);
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return absl::InternalError(absl::StrCat("exited before listening:\n", log));
    }
    if (absl::Now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(absl::StrCat("never logged its address:\n", log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

absl::StatusOr<std::string> HttpAddressInLog(const std::string& log_path, size_t offset) {
  static const std::regex kHttp(
      R"(HTTP API \(InfluxDB /api/v2\) at https?://(127\.0\.0\.1:[0-9]+)/)");
  std::string log = ReadFileOrEmpty(log_path);
  log = log.size() > offset ? log.substr(offset) : "";
  std::smatch m;
  if (std::regex_search(log, m, kHttp)) return std::string(m[1]);
  return absl::NotFoundError("authd logged no HTTP API address");
}

}  // namespace authd::deploy
