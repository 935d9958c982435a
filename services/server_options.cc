#include "services/server_options.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/log.h"
#include "services/config_file.h"

namespace authd::services {
namespace {

using Setter = std::function<absl::Status(ServerOptions*, const std::string&)>;

struct OptionSpec {
  const char* name;  // flag name without dashes; env var is AUTHD_ + upper(name with '-' -> '_')
  bool is_bool;
  const char* help;
  Setter set;
};

absl::StatusOr<bool> ParseBool(const std::string& v) {
  std::string lower = absl::AsciiStrToLower(v);
  if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "0" || lower == "no" || lower == "off") return false;
  return absl::InvalidArgumentError("want true or false");
}

absl::Status ParseIntAtLeast(const std::string& v, int min, int* out) {
  int n;
  if (!absl::SimpleAtoi(v, &n) || n < min) {
    return absl::InvalidArgumentError(absl::StrCat("want an integer >= ", min));
  }
  *out = n;
  return absl::OkStatus();
}

absl::Status ParsePositiveDuration(const std::string& v, absl::Duration* out) {
  absl::Duration d;
  if (!absl::ParseDuration(v, &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("want a positive duration such as 500ms or 10s");
  }
  *out = d;
  return absl::OkStatus();
}

// A duration that may also be spelled in days ("90d"); "0" is zero. Not negative.
absl::Status ParseLifetime(const std::string& v, absl::Duration* out) {
  absl::Duration d;
  int64_t days = 0;
  if (v.size() > 1 && v.back() == 'd' && absl::SimpleAtoi(v.substr(0, v.size() - 1), &days) &&
      days >= 0 && days <= 36600) {
    d = absl::Hours(24 * days);
  } else if (!absl::ParseDuration(v, &d) || d < absl::ZeroDuration() ||
             d > absl::Hours(24 * 36600)) {
    return absl::InvalidArgumentError(
        "want a duration such as 90d, 720h or 30m (at most 100 years), or 0 for none");
  }
  *out = d;
  return absl::OkStatus();
}

const std::vector<OptionSpec>& Specs() {
  static const auto* const kSpecs = new std::vector<OptionSpec>{
      {"listen", false, "host:port to listen on; port 0 picks a free port (default 127.0.0.1:50051)",
       [](ServerOptions* o, const std::string& v) {
         if (v.empty() || v.rfind(':') == std::string::npos) {
           return absl::InvalidArgumentError("want host:port");
         }
         o->listen = v;
         return absl::OkStatus();
       }},
      {"data-dir", false, "RocksDB data dir (default $HOME/.authd/data)",
       [](ServerOptions* o, const std::string& v) {
         if (v.empty()) return absl::InvalidArgumentError("must not be empty");
         o->data_dir = v;
         return absl::OkStatus();
       }},
      {"use-hashed-tokens", true, "store new tokens as SHA-256 hashes (default true)",
       [](ServerOptions* o, const std::string& v) {
         auto b = ParseBool(v);
         if (!b.ok()) return b.status();
         o->use_hashed_tokens = *b;
         return absl::OkStatus();
       }},
      {"log-level", false, "debug, info, warn or error (default info)",
       [](ServerOptions* o, const std::string& v) {
         if (!ParseLogLevel(v)) return absl::InvalidArgumentError("want debug, info, warn or error");
         o->log_level = v;
         return absl::OkStatus();
       }},
      {"log-format", false, "text or json (default text)",
       [](ServerOptions* o, const std::string& v) {
         if (v != "text" && v != "json") return absl::InvalidArgumentError("want text or json");
         o->log_format = v;
         return absl::OkStatus();
       }},
      {"session-ttl", false, "lifetime of sign-in sessions, e.g. 30m or 1h (default 1h)",
       [](ServerOptions* o, const std::string& v) {
         absl::Duration d;
         if (!absl::ParseDuration(v, &d) || d <= absl::ZeroDuration()) {
           return absl::InvalidArgumentError("want a positive duration such as 30m or 1h");
         }
         o->session_ttl = d;
         return absl::OkStatus();
       }},
      {"max-token-lifetime", false,
       "longest lifetime of a token, e.g. 90d; also the default one (default 0: none)",
       [](ServerOptions* o, const std::string& v) {
         return ParseLifetime(v, &o->max_token_lifetime);
       }},
      {"last-used-interval", false,
       "how often token uses are recorded as last-used times (default 1m; 0: not recorded)",
       [](ServerOptions* o, const std::string& v) {
         absl::Status s = ParseLifetime(v, &o->last_used_interval);
         if (s.ok() && o->last_used_interval > absl::ZeroDuration() &&
             o->last_used_interval < absl::Seconds(1)) {
           return absl::InvalidArgumentError("want at least 1s, or 0 for not recorded");
         }
         return s;
       }},
      {"expired-token-retention", false,
       "delete expired tokens this long after they expired, e.g. 30d (default 0: keep them)",
       [](ServerOptions* o, const std::string& v) {
         return ParseLifetime(v, &o->expired_token_retention);
       }},
      {"clock-offset-file", false,
       "test only (AUTHD_TESTING=1): file of seconds added to authd's clock",
       [](ServerOptions* o, const std::string& v) {
         o->clock_offset_file = v;
         return absl::OkStatus();
       }},
      {"ext-authz-routes", false,
       "YAML route table for Envoy ext_authz Check (method + path -> permission; docs/envoy.md)",
       [](ServerOptions* o, const std::string& v) {
         o->ext_authz_routes = v;
         return absl::OkStatus();
       }},
      {"ext-authz-header-prefix", false,
       "prefix of the headers Check adds upstream when allowed (default x-authd-; empty: none)",
       [](ServerOptions* o, const std::string& v) {
         for (char c : v) {
           if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-' || c == '_')) {
             return absl::InvalidArgumentError("want lower-case letters, digits, '-' or '_'");
           }
         }
         if (!v.empty() && v.back() != '-' && v.back() != '_') {
           return absl::InvalidArgumentError("want a prefix ending in '-' or '_', e.g. x-authd-");
         }
         o->ext_authz_header_prefix = v;
         return absl::OkStatus();
       }},
      {"ext-authz-remove-authorization", true,
       "Check removes the authorization header from allowed requests (default false)",
       [](ServerOptions* o, const std::string& v) {
         auto b = ParseBool(v);
         if (!b.ok()) return b.status();
         o->ext_authz_remove_authorization = *b;
         return absl::OkStatus();
       }},
      {"max-watch-streams", false,
       "WatchAuthorizations streams open at once; more are refused (default 20000)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->max_watch_streams);
       }},
      {"watch-stall-timeout", false,
       "end a watch stream whose client reads nothing this long while messages wait (default 30s)",
       [](ServerOptions* o, const std::string& v) {
         return ParsePositiveDuration(v, &o->watch_stall_timeout);
       }},
      {"tls-cert", false, "PEM certificate chain: serve TLS (with --tls-key)",
       [](ServerOptions* o, const std::string& v) {
         o->tls_cert = v;
         return absl::OkStatus();
       }},
      {"tls-key", false, "PEM private key of --tls-cert",
       [](ServerOptions* o, const std::string& v) {
         o->tls_key = v;
         return absl::OkStatus();
       }},
      {"tls-client-ca", false, "PEM CA bundle: require client certificates it signed (mutual TLS)",
       [](ServerOptions* o, const std::string& v) {
         o->tls_client_ca = v;
         return absl::OkStatus();
       }},
      {"max-receive-message-bytes", false, "largest request accepted (default 1048576)",
       [](ServerOptions* o, const std::string& v) {
         int n;
         if (!absl::SimpleAtoi(v, &n) || n < 1024) {
           return absl::InvalidArgumentError("want an integer >= 1024");
         }
         o->max_receive_message_bytes = n;
         return absl::OkStatus();
       }},
      {"max-sync-threads", false,
       "threads for every RPC but Authorize; when all but one are busy, the last answers "
       "RESOURCE_EXHAUSTED (default 128, minimum 2)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 2, &o->max_sync_threads);
       }},
      {"max-concurrent-streams", false,
       "calls one connection may have in flight; clients queue the rest (default 100)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->max_concurrent_streams);
       }},
      {"grpc-memory-quota-bytes", false,
       "memory gRPC may hold for connections and calls before it sheds them (default 134217728)",
       [](ServerOptions* o, const std::string& v) {
         int64_t n;
         if (!absl::SimpleAtoi(v, &n) || n < (int64_t{8} << 20)) {
           return absl::InvalidArgumentError("want an integer >= 8388608 (8 MiB)");
         }
         o->grpc_memory_quota_bytes = n;
         return absl::OkStatus();
       }},
      {"etcd-endpoints", false,
       "comma-separated etcd client URLs (http:// or https://): keep the event log in etcd, "
       "replicated, instead of the data dir (default: none)",
       [](ServerOptions* o, const std::string& v) {
         std::vector<std::string> endpoints;
         for (absl::string_view e : absl::StrSplit(v, ',', absl::SkipWhitespace())) {
           e = absl::StripAsciiWhitespace(e);
           if (!absl::StartsWith(e, "http://") && !absl::StartsWith(e, "https://")) {
             return absl::InvalidArgumentError("want http://host:port or https://host:port URLs");
           }
           endpoints.emplace_back(e);
         }
         if (endpoints.empty()) return absl::InvalidArgumentError("want at least one URL");
         o->etcd_endpoints = std::move(endpoints);
         return absl::OkStatus();
       }},
      {"etcd-prefix", false, "key prefix of the log in etcd, /.../ (default /authd/)",
       [](ServerOptions* o, const std::string& v) {
         if (v.size() < 2 || v.front() != '/' || v.back() != '/') {
           return absl::InvalidArgumentError("want a prefix that starts and ends with /");
         }
         o->etcd_prefix = v;
         return absl::OkStatus();
       }},
      {"etcd-snapshot-every", false,
       "with etcd: write a snapshot to etcd, delete the log below it and compact etcd every this "
       "many events; 0 never (default 10000)",
       [](ServerOptions* o, const std::string& v) {
         int64_t n;
         if (!absl::SimpleAtoi(v, &n) || n < 0) {
           return absl::InvalidArgumentError("want an integer >= 0");
         }
         o->etcd_snapshot_every = static_cast<uint64_t>(n);
         return absl::OkStatus();
       }},
      {"max-replica-lag", false,
       "with etcd: report NOT_SERVING on health while a known log position has gone unapplied "
       "here this long (default 5s)",
       [](ServerOptions* o, const std::string& v) {
         return ParsePositiveDuration(v, &o->max_replica_lag);
       }},
      {"etcd-start-timeout", false,
       "with etcd: how long start-up retries unreachable etcd and catches up before it fails "
       "(default 30s)",
       [](ServerOptions* o, const std::string& v) {
         return ParsePositiveDuration(v, &o->etcd_start_timeout);
       }},
      {"etcd-user", false, "etcd user; its password from AUTHD_ETCD_PASSWORD (default: none)",
       [](ServerOptions* o, const std::string& v) {
         o->etcd_user = v;
         return absl::OkStatus();
       }},
      {"etcd-ca-file", false, "PEM CA bundle for https:// etcd endpoints (default: system roots)",
       [](ServerOptions* o, const std::string& v) {
         o->etcd_ca_file = v;
         return absl::OkStatus();
       }},
      {"etcd-cert-file", false, "PEM client certificate for etcd (with --etcd-key-file)",
       [](ServerOptions* o, const std::string& v) {
         o->etcd_cert_file = v;
         return absl::OkStatus();
       }},
      {"etcd-key-file", false, "PEM private key of --etcd-cert-file",
       [](ServerOptions* o, const std::string& v) {
         o->etcd_key_file = v;
         return absl::OkStatus();
       }},
      {"http2-front", true,
       "serve through authd's HTTP/2 front (connection limits, frame policing, TLS); false "
       "leaves gRPC 1.51 facing clients alone (default true)",
       [](ServerOptions* o, const std::string& v) {
         auto b = ParseBool(v);
         if (!b.ok()) return b.status();
         o->http2_front = *b;
         return absl::OkStatus();
       }},
      {"max-connections", false,
       "connections open at once; more are closed at accept (default 4096)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->max_connections);
       }},
      {"max-connections-per-peer", false,
       "connections open at once from one client address (default 512)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->max_connections_per_peer);
       }},
      {"new-connections-per-peer-per-second", false,
       "new connections one client address may open per second, twice that in a burst "
       "(default 64)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->new_connections_per_peer_per_second);
       }},
      {"max-stream-resets-per-second", false,
       "streams one connection may cancel per second, twice that in a burst; beyond it the "
       "connection is closed with GOAWAY (HTTP/2 rapid reset) (default 100)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->max_stream_resets_per_second);
       }},
      {"handshake-timeout", false,
       "time from accept to a complete HTTP/2 preface, TLS included (default 10s)",
       [](ServerOptions* o, const std::string& v) {
         return ParsePositiveDuration(v, &o->handshake_timeout);
       }},
      {"client-stall-timeout", false,
       "how long a client may leave responses unread before its connection is closed "
       "(default 5s)",
       [](ServerOptions* o, const std::string& v) {
         return ParsePositiveDuration(v, &o->client_stall_timeout);
       }},
      {"http-listen", false,
       "serve InfluxDB's /api/v2 over HTTP on host:port (default: off; tools/run.sh uses "
       "127.0.0.1:8086)",
       [](ServerOptions* o, const std::string& v) {
         o->http_listen = v;
         return absl::OkStatus();
       }},
      {"http-max-connections", false,
       "HTTP connections open at once; more get 503 at accept (default 256)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->http_max_connections);
       }},
      {"http-max-connections-per-peer", false,
       "HTTP connections open at once from one client address (default 64)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->http_max_connections_per_peer);
       }},
      {"http-idle-timeout", false,
       "how long an HTTP connection may wait for a request to begin (default 60s)",
       [](ServerOptions* o, const std::string& v) {
         return ParsePositiveDuration(v, &o->http_idle_timeout);
       }},
      {"http-request-timeout", false,
       "how long a client has to send a whole HTTP request once it began (default 10s)",
       [](ServerOptions* o, const std::string& v) {
         return ParsePositiveDuration(v, &o->http_request_timeout);
       }},
      {"http-workers", false, "threads answering HTTP requests (default 4)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->http_workers);
       }},
      {"max-concurrent-password-hashes", false,
       "Argon2id computations (19 MiB each) at once; more wait until their deadline (default 4)",
       [](ServerOptions* o, const std::string& v) {
         return ParseIntAtLeast(v, 1, &o->max_concurrent_password_hashes);
       }},
  };
  return *kSpecs;
}

std::string EnvName(const char* name) {
  std::string env = absl::StrCat("AUTHD_", name);
  for (char& c : env) c = c == '-' ? '_' : absl::ascii_toupper(c);
  return env;
}

const OptionSpec* FindSpec(absl::string_view name) {
  for (const OptionSpec& s : Specs()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

absl::Status Apply(const OptionSpec& spec, ServerOptions* o, const std::string& value,
                   absl::string_view source) {
  absl::Status s = spec.set(o, value);
  if (s.ok()) return s;
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", s.message()));
}

}  // namespace

std::string ServerUsage() {
  std::string out =
      "usage: authd [flags]\n\nServes authd's gRPC API. Every flag can also be set by the "
      "environment variable shown\nor in the --config file; precedence: flag > env > file > "
      "default.\n\nflags:\n";
  for (const OptionSpec& s : Specs()) {
    absl::StrAppend(&out, "  --", s.name, s.is_bool ? "[=true|false]" : "=VALUE", "  (", EnvName(s.name),
                    ")\n      ", s.help, "\n");
  }
  absl::StrAppend(&out,
                  "  --config=FILE  (AUTHD_CONFIG)\n      a YAML or JSON file of the options above, by "
                  "name without dashes\n      (e.g. `use-hashed-tokens: false`); flags and env win "
                  "over it\n",
                  "  --help     show this text\n  --version  print the version\n");
  return out;
}

absl::StatusOr<LoadedOptions> LoadServerOptions(const std::vector<std::string>& args,
                                                const EnvLookup& getenv) {
  LoadedOptions loaded;
  ServerOptions& o = loaded.options;
  if (const char* home = getenv("HOME"); home != nullptr && *home != '\0') {
    o.data_dir = absl::StrCat(home, "/.authd/data");
  }
  // The config file is named by --config (flag) or AUTHD_CONFIG (env).
  std::string config_path;
  if (const char* v = getenv("AUTHD_CONFIG"); v != nullptr) config_path = v;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--config" && i + 1 < args.size()) config_path = args[i + 1];
    if (absl::ConsumePrefix(&arg, "--config=")) config_path = std::string(arg);
  }
  if (!config_path.empty()) {
    auto entries = ReadConfigFile(config_path);
    if (!entries.ok()) return entries.status();
    for (const ConfigEntry& e : *entries) {
      const OptionSpec* spec = FindSpec(e.key);
      if (spec == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(config_path, ":", e.line, ": unknown option \"", e.key, "\""));
      }
      absl::Status s = Apply(*spec, &o, e.value,
                             absl::StrCat(e.key, " (config file ", config_path, ":", e.line, ")"));
      if (!s.ok()) return s;
    }
  }
  // The environment over the file, then flags over both.
  for (const OptionSpec& spec : Specs()) {
    std::string env = EnvName(spec.name);
    if (const char* v = getenv(env.c_str()); v != nullptr) {
      absl::Status s = Apply(spec, &o, v, absl::StrCat(env, " (env)"));
      if (!s.ok()) return s;
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      loaded.action = OptionsAction::kHelp;
      return loaded;
    }
    if (arg == "--version") {
      loaded.action = OptionsAction::kVersion;
      return loaded;
    }
    if (!absl::ConsumePrefix(&arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name(arg);
    std::optional<std::string> value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    }
    if (name == "config") {  // Read above, before the environment.
      if (!value && ++i >= args.size()) {
        return absl::InvalidArgumentError("--config (flag): needs a value");
      }
      continue;
    }
    const OptionSpec* spec = FindSpec(name);
    if (spec == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    if (!value) {
      if (spec->is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " (flag): needs a value"));
      }
    }
    absl::Status s = Apply(*spec, &o, *value, absl::StrCat("--", name, " (flag)"));
    if (!s.ok()) return s;
  }
  auto env_or_empty = [&](const char* name) {
    const char* v = getenv(name);
    return std::string(v != nullptr ? v : "");
  };
  o.init_username = env_or_empty("AUTHD_INIT_USERNAME");
  o.init_password = env_or_empty("AUTHD_INIT_PASSWORD");
  o.init_org = env_or_empty("AUTHD_INIT_ORG");
  o.init_bucket = env_or_empty("AUTHD_INIT_BUCKET");
  o.init_token = env_or_empty("AUTHD_INIT_TOKEN");
  if (std::string r = env_or_empty("AUTHD_INIT_RETENTION_SECONDS"); !r.empty()) {
    if (!absl::SimpleAtoi(r, &o.init_retention_seconds) || o.init_retention_seconds < 0) {
      return absl::InvalidArgumentError(
          "AUTHD_INIT_RETENTION_SECONDS (env): want a non-negative integer");
    }
  }
  if (o.init_username.empty() &&
      !(o.init_password.empty() && o.init_org.empty() && o.init_bucket.empty() &&
        o.init_token.empty())) {
    return absl::InvalidArgumentError(
        "AUTHD_INIT_USERNAME (env): required when any other AUTHD_INIT_* variable is set");
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key: give both or neither");
  }
  if (!o.clock_offset_file.empty() && env_or_empty("AUTHD_TESTING") != "1") {
    return absl::InvalidArgumentError(
        "--clock-offset-file: a test-only option (needs AUTHD_TESTING=1 in the environment)");
  }
  if (!o.tls_client_ca.empty() && o.tls_cert.empty()) {
    return absl::InvalidArgumentError("--tls-client-ca: needs --tls-cert and --tls-key");
  }
  o.etcd_password = env_or_empty("AUTHD_ETCD_PASSWORD");
  if (o.etcd_user.empty() != o.etcd_password.empty()) {
    return absl::InvalidArgumentError(
        "--etcd-user and AUTHD_ETCD_PASSWORD (env): give both or neither");
  }
  if (o.etcd_cert_file.empty() != o.etcd_key_file.empty()) {
    return absl::InvalidArgumentError("--etcd-cert-file and --etcd-key-file: give both or neither");
  }
  const bool etcd_settings = !o.etcd_user.empty() || !o.etcd_ca_file.empty() ||
                             !o.etcd_cert_file.empty() || o.etcd_prefix != "/authd/" ||
                             o.etcd_snapshot_every != kDefaultEtcdSnapshotEvery ||
                             o.max_replica_lag != absl::Seconds(5) ||
                             o.etcd_start_timeout != absl::Seconds(30);
  if (o.etcd_endpoints.empty() && etcd_settings) {
    return absl::InvalidArgumentError(
        "--etcd-endpoints: required by the other --etcd-* options given");
  }
  if (!o.etcd_endpoints.empty() && !o.use_hashed_tokens) {
    return absl::InvalidArgumentError(
        "--etcd-endpoints: needs --use-hashed-tokens=true (no raw token is ever written to etcd; "
        "hashing off is a single-replica mode)");
  }
  if (o.data_dir.empty()) {
    return absl::InvalidArgumentError(
        "--data-dir: required when $HOME is not set (or set AUTHD_DATA_DIR)");
  }
  return loaded;
}

}  // namespace authd::services
