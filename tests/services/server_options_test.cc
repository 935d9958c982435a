#include "services/server_options.h"

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace authd::services {
namespace {

// An injected environment: only the variables in `vars` are set.
class FakeEnv {
 public:
  using Vars = std::map<std::string, std::string>;
  explicit FakeEnv(Vars vars = {{"HOME", "/home/tester"}})
      : vars_(std::move(vars)) {}
  EnvLookup Lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }
  void Set(const std::string& name, const std::string& value) { vars_[name] = value; }
  void Unset(const std::string& name) { vars_.erase(name); }

 private:
  std::map<std::string, std::string> vars_;
};

absl::StatusOr<LoadedOptions> Load(const std::vector<std::string>& args, const FakeEnv& env) {
  return LoadServerOptions(args, env.Lookup());
}

void ExpectInvalid(const absl::StatusOr<LoadedOptions>& got, const std::string& want_substring) {
  ASSERT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << got.status();
  EXPECT_TRUE(absl::StrContains(got.status().message(), want_substring))
      << "message: " << got.status().message() << "\nwant substring: " << want_substring;
}

TEST(ServerOptionsTest, DefaultsApplyWithOnlyHomeSet) {
  FakeEnv env;
  auto got = Load({}, env);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->action, OptionsAction::kServe);
  const ServerOptions& o = got->options;
  EXPECT_EQ(o.listen, "127.0.0.1:50051");
  EXPECT_EQ(o.data_dir, "/home/tester/.authd/data");
  EXPECT_TRUE(o.use_hashed_tokens);
  EXPECT_EQ(o.log_level, "info");
  EXPECT_EQ(o.log_format, "text");
  EXPECT_EQ(o.session_ttl, absl::Hours(1));
  EXPECT_EQ(o.max_sync_threads, 128);
  EXPECT_EQ(o.max_concurrent_streams, 100);
  EXPECT_EQ(o.grpc_memory_quota_bytes, 128 << 20);
  EXPECT_EQ(o.max_concurrent_password_hashes, 4);
  EXPECT_EQ(o.max_receive_message_bytes, 1 << 20);
  EXPECT_TRUE(o.http2_front);
  EXPECT_EQ(o.max_connections, 4096);
  EXPECT_EQ(o.max_connections_per_peer, 512);
  EXPECT_EQ(o.new_connections_per_peer_per_second, 64);
  EXPECT_EQ(o.max_stream_resets_per_second, 100);
  EXPECT_EQ(o.handshake_timeout, absl::Seconds(10));
  EXPECT_EQ(o.client_stall_timeout, absl::Seconds(5));
}

TEST(ServerOptionsTest, DefaultsMatchStructInitializers) {
  ServerOptions defaults;
  EXPECT_EQ(defaults.listen, "127.0.0.1:50051");
  EXPECT_TRUE(defaults.data_dir.empty());
}

// Each non-boolean flag, in both `--x=v` and `--x v` forms.
struct FlagCase {
  std::string flag;
  std::string value;
  std::function<bool(const ServerOptions&)> applied;
};

std::vector<FlagCase> FlagCases() {
  return {
      {"listen", "0.0.0.0:9999", [](const ServerOptions& o) { return o.listen == "0.0.0.0:9999"; }},
      {"listen", "[::1]:0", [](const ServerOptions& o) { return o.listen == "[::1]:0"; }},
      {"data-dir", "/var/lib/authd",
       [](const ServerOptions& o) { return o.data_dir == "/var/lib/authd"; }},
      {"log-level", "debug", [](const ServerOptions& o) { return o.log_level == "debug"; }},
      {"log-level", "warn", [](const ServerOptions& o) { return o.log_level == "warn"; }},
      {"log-level", "error", [](const ServerOptions& o) { return o.log_level == "error"; }},
      {"log-format", "json", [](const ServerOptions& o) { return o.log_format == "json"; }},
      {"session-ttl", "30m",
       [](const ServerOptions& o) { return o.session_ttl == absl::Minutes(30); }},
      {"session-ttl", "2h45m",
       [](const ServerOptions& o) { return o.session_ttl == absl::Hours(2) + absl::Minutes(45); }},
      {"max-receive-message-bytes", "4096",
       [](const ServerOptions& o) { return o.max_receive_message_bytes == 4096; }},
      {"max-receive-message-bytes", "1024",
       [](const ServerOptions& o) { return o.max_receive_message_bytes == 1024; }},
      {"max-sync-threads", "2", [](const ServerOptions& o) { return o.max_sync_threads == 2; }},
      {"max-concurrent-streams", "1",
       [](const ServerOptions& o) { return o.max_concurrent_streams == 1; }},
      {"grpc-memory-quota-bytes", "8388608",
       [](const ServerOptions& o) { return o.grpc_memory_quota_bytes == 8388608; }},
      {"grpc-memory-quota-bytes", "17179869184",
       [](const ServerOptions& o) { return o.grpc_memory_quota_bytes == (int64_t{16} << 30); }},
      {"max-concurrent-password-hashes", "1",
       [](const ServerOptions& o) { return o.max_concurrent_password_hashes == 1; }},
      {"http2-front", "false", [](const ServerOptions& o) { return !o.http2_front; }},
      {"max-connections", "1", [](const ServerOptions& o) { return o.max_connections == 1; }},
      {"max-connections-per-peer", "2",
       [](const ServerOptions& o) { return o.max_connections_per_peer == 2; }},
      {"new-connections-per-peer-per-second", "3",
       [](const ServerOptions& o) { return o.new_connections_per_peer_per_second == 3; }},
      {"max-stream-resets-per-second", "4",
       [](const ServerOptions& o) { return o.max_stream_resets_per_second == 4; }},
      {"handshake-timeout", "500ms",
       [](const ServerOptions& o) { return o.handshake_timeout == absl::Milliseconds(500); }},
      {"client-stall-timeout", "1m",
       [](const ServerOptions& o) { return o.client_stall_timeout == absl::Minutes(1); }},
      {"use-hashed-tokens", "false", [](const ServerOptions& o) { return !o.use_hashed_tokens; }},
      {"http-listen", "127.0.0.1:8086",
       [](const ServerOptions& o) { return o.http_listen == "127.0.0.1:8086"; }},
      {"http-max-connections", "3", [](const ServerOptions& o) { return o.http_max_connections == 3; }},
      {"http-max-connections-per-peer", "5",
       [](const ServerOptions& o) { return o.http_max_connections_per_peer == 5; }},
      {"http-idle-timeout", "5s",
       [](const ServerOptions& o) { return o.http_idle_timeout == absl::Seconds(5); }},
      {"http-request-timeout", "250ms",
       [](const ServerOptions& o) { return o.http_request_timeout == absl::Milliseconds(250); }},
      {"http-workers", "2", [](const ServerOptions& o) { return o.http_workers == 2; }},
      {"max-token-lifetime", "90d",
       [](const ServerOptions& o) { return o.max_token_lifetime == absl::Hours(90 * 24); }},
      {"max-token-lifetime", "36h",
       [](const ServerOptions& o) { return o.max_token_lifetime == absl::Hours(36); }},
      {"max-token-lifetime", "0",
       [](const ServerOptions& o) { return o.max_token_lifetime == absl::ZeroDuration(); }},
      {"expired-token-retention", "30d",
       [](const ServerOptions& o) { return o.expired_token_retention == absl::Hours(720); }},
      {"last-used-interval", "0",
       [](const ServerOptions& o) { return o.last_used_interval == absl::ZeroDuration(); }},
      {"last-used-interval", "10s",
       [](const ServerOptions& o) { return o.last_used_interval == absl::Seconds(10); }},
      {"etcd-endpoints", "http://127.0.0.1:2379, https://10.0.0.2:2379",
       [](const ServerOptions& o) {
         return o.etcd_endpoints ==
                std::vector<std::string>{"http://127.0.0.1:2379", "https://10.0.0.2:2379"};
       }},
  };
}

TEST(ServerOptionsTest, FlagWithEqualsFormIsApplied) {
  FakeEnv env;
  for (const FlagCase& c : FlagCases()) {
    auto got = Load({"--" + c.flag + "=" + c.value}, env);
    ASSERT_TRUE(got.ok()) << c.flag << ": " << got.status();
    EXPECT_TRUE(c.applied(got->options)) << "--" << c.flag << "=" << c.value;
  }
}

TEST(ServerOptionsTest, FlagWithSeparateValueFormIsApplied) {
  FakeEnv env;
  for (const FlagCase& c : FlagCases()) {
    // Booleans take `=value` only (see below).
    if (c.flag == "use-hashed-tokens" || c.flag == "http2-front") continue;
    auto got = Load({"--" + c.flag, c.value}, env);
    ASSERT_TRUE(got.ok()) << c.flag << ": " << got.status();
    EXPECT_TRUE(c.applied(got->options)) << "--" << c.flag << " " << c.value;
  }
}

TEST(ServerOptionsTest, SeveralFlagsApplyTogether) {
  FakeEnv env;
  auto got = Load({"--listen", "127.0.0.1:0", "--data-dir=/d", "--log-format", "json",
                   "--use-hashed-tokens=off"},
                  env);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->options.listen, "127.0.0.1:0");
  EXPECT_EQ(got->options.data_dir, "/d");
  EXPECT_EQ(got->options.log_format, "json");
  EXPECT_FALSE(got->options.use_hashed_tokens);
}

TEST(ServerOptionsTest, BoolFlagBareFormMeansTrue) {
  FakeEnv env;
  env.Set("AUTHD_USE_HASHED_TOKENS", "false");
  auto got = Load({"--use-hashed-tokens"}, env);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->options.use_hashed_tokens);
}

TEST(ServerOptionsTest, BoolFlagBareFormDoesNotConsumeNextArgument) {
  FakeEnv env;
  auto got = Load({"--use-hashed-tokens", "--listen=1.2.3.4:5"}, env);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->options.use_hashed_tokens);
  EXPECT_EQ(got->options.listen, "1.2.3.4:5");
  // A separate "false" is not taken as the value: it is an unexpected argument, not silently true.
  auto separate = Load({"--use-hashed-tokens", "false"}, env);
  ExpectInvalid(separate, "unexpected argument \"false\"");
}

TEST(ServerOptionsTest, BoolFlagAcceptsEverySpelling) {
  FakeEnv env;
  for (const char* v : {"true", "TRUE", "1", "yes", "on", "On"}) {
    auto got = Load({std::string("--use-hashed-tokens=") + v}, env);
    ASSERT_TRUE(got.ok()) << v << ": " << got.status();
    EXPECT_TRUE(got->options.use_hashed_tokens) << v;
  }
  for (const char* v : {"false", "False", "0", "no", "off", "OFF"}) {
    auto got = Load({std::string("--use-hashed-tokens=") + v}, env);
    ASSERT_TRUE(got.ok()) << v << ": " << got.status();
    EXPECT_FALSE(got->options.use_hashed_tokens) << v;
  }
}

TEST(ServerOptionsTest, EnvVarsAreApplied) {
  FakeEnv env;
  env.Set("AUTHD_LISTEN", "10.0.0.1:7000");
  env.Set("AUTHD_DATA_DIR", "/srv/authd");
  env.Set("AUTHD_USE_HASHED_TOKENS", "no");
  env.Set("AUTHD_LOG_LEVEL", "debug");
  env.Set("AUTHD_LOG_FORMAT", "json");
  env.Set("AUTHD_SESSION_TTL", "15m");
  env.Set("AUTHD_MAX_RECEIVE_MESSAGE_BYTES", "2048");
  auto got = Load({}, env);
  ASSERT_TRUE(got.ok()) << got.status();
  const ServerOptions& o = got->options;
  EXPECT_EQ(o.listen, "10.0.0.1:7000");
  EXPECT_EQ(o.data_dir, "/srv/authd");
  EXPECT_FALSE(o.use_hashed_tokens);
  EXPECT_EQ(o.log_level, "debug");
  EXPECT_EQ(o.log_format, "json");
  EXPECT_EQ(o.session_ttl, absl::Minutes(15));
  EXPECT_EQ(o.max_receive_message_bytes, 2048);
}

TEST(ServerOptionsTest, FlagBeatsEnv) {
  FakeEnv env;
  env.Set("AUTHD_LISTEN", "10.0.0.1:7000");
  env.Set("AUTHD_DATA_DIR", "/from/env");
  env.Set("AUTHD_USE_HASHED_TOKENS", "true");
  env.Set("AUTHD_LOG_LEVEL", "debug");
  env.Set("AUTHD_SESSION_TTL", "15m");
  auto got = Load({"--listen=127.0.0.1:1", "--data-dir", "/from/flag", "--use-hashed-tokens=false",
                   "--log-level=error", "--session-ttl=2h"},
                  env);
  ASSERT_TRUE(got.ok()) << got.status();
  const ServerOptions& o = got->options;
  EXPECT_EQ(o.listen, "127.0.0.1:1");
  EXPECT_EQ(o.data_dir, "/from/flag");
  EXPECT_FALSE(o.use_hashed_tokens);
  EXPECT_EQ(o.log_level, "error");
  EXPECT_EQ(o.session_ttl, absl::Hours(2));
}

TEST(ServerOptionsTest, LaterFlagBeatsEarlierFlag) {
  FakeEnv env;
  auto got = Load({"--log-level=debug", "--log-level=warn"}, env);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->options.log_level, "warn");
}

TEST(ServerOptionsTest, EnvDataDirBeatsHomeDefault) {
  FakeEnv env;
  env.Set("AUTHD_DATA_DIR", "/srv/authd");
  auto got = Load({}, env);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->options.data_dir, "/srv/authd");
}

// Bad values, each checked from a flag and from the environment.
struct BadValueCase {
  std::string flag;
  std::string env;
  std::string value;
  std::string reason;
};

std::vector<BadValueCase> BadValueCases() {
  return {
      {"listen", "AUTHD_LISTEN", "localhost", "want host:port"},
      {"listen", "AUTHD_LISTEN", "", "want host:port"},
      {"data-dir", "AUTHD_DATA_DIR", "", "must not be empty"},
      {"use-hashed-tokens", "AUTHD_USE_HASHED_TOKENS", "maybe", "want true or false"},
      {"use-hashed-tokens", "AUTHD_USE_HASHED_TOKENS", "", "want true or false"},
      {"log-level", "AUTHD_LOG_LEVEL", "verbose", "want debug, info, warn or error"},
      {"log-level", "AUTHD_LOG_LEVEL", "INFO", "want debug, info, warn or error"},
      {"log-format", "AUTHD_LOG_FORMAT", "xml", "want text or json"},
      {"session-ttl", "AUTHD_SESSION_TTL", "0s", "want a positive duration"},
      {"session-ttl", "AUTHD_SESSION_TTL", "-5m", "want a positive duration"},
      {"session-ttl", "AUTHD_SESSION_TTL", "forever", "want a positive duration"},
      {"max-receive-message-bytes", "AUTHD_MAX_RECEIVE_MESSAGE_BYTES", "1023",
       "want an integer >= 1024"},
      {"max-receive-message-bytes", "AUTHD_MAX_RECEIVE_MESSAGE_BYTES", "4MiB",
       "want an integer >= 1024"},
      {"max-receive-message-bytes", "AUTHD_MAX_RECEIVE_MESSAGE_BYTES", "99999999999",
       "want an integer >= 1024"},
      {"max-sync-threads", "AUTHD_MAX_SYNC_THREADS", "1", "want an integer >= 2"},
      {"max-sync-threads", "AUTHD_MAX_SYNC_THREADS", "many", "want an integer >= 2"},
      {"max-concurrent-streams", "AUTHD_MAX_CONCURRENT_STREAMS", "0", "want an integer >= 1"},
      {"grpc-memory-quota-bytes", "AUTHD_GRPC_MEMORY_QUOTA_BYTES", "8388607",
       "want an integer >= 8388608 (8 MiB)"},
      {"grpc-memory-quota-bytes", "AUTHD_GRPC_MEMORY_QUOTA_BYTES", "128MiB",
       "want an integer >= 8388608 (8 MiB)"},
      {"max-concurrent-password-hashes", "AUTHD_MAX_CONCURRENT_PASSWORD_HASHES", "0",
       "want an integer >= 1"},
      {"http2-front", "AUTHD_HTTP2_FRONT", "maybe", "want true or false"},
      {"max-connections", "AUTHD_MAX_CONNECTIONS", "0", "want an integer >= 1"},
      {"max-connections-per-peer", "AUTHD_MAX_CONNECTIONS_PER_PEER", "-1", "want an integer >= 1"},
      {"new-connections-per-peer-per-second", "AUTHD_NEW_CONNECTIONS_PER_PEER_PER_SECOND", "x",
       "want an integer >= 1"},
      {"max-stream-resets-per-second", "AUTHD_MAX_STREAM_RESETS_PER_SECOND", "0",
       "want an integer >= 1"},
      {"handshake-timeout", "AUTHD_HANDSHAKE_TIMEOUT", "0s",
       "want a positive duration such as 500ms or 10s"},
      {"client-stall-timeout", "AUTHD_CLIENT_STALL_TIMEOUT", "soon",
       "want a positive duration such as 500ms or 10s"},
      {"etcd-endpoints", "AUTHD_ETCD_ENDPOINTS", "127.0.0.1:2379",
       "want http://host:port or https://host:port URLs"},
      {"etcd-endpoints", "AUTHD_ETCD_ENDPOINTS", " , ", "want at least one URL"},
      {"etcd-prefix", "AUTHD_ETCD_PREFIX", "authd", "want a prefix that starts and ends with /"},
      {"etcd-prefix", "AUTHD_ETCD_PREFIX", "/", "want a prefix that starts and ends with /"},
  };
}

TEST(ServerOptionsTest, EtcdOptionsComeTogetherAndNeedHashing) {
  FakeEnv env;
  const std::string endpoints = "--etcd-endpoints=http://127.0.0.1:2379";
  auto ok = Load({endpoints, "--etcd-prefix=/prod/authd/", "--etcd-user=authd",
                  "--etcd-ca-file=/ca.pem", "--etcd-cert-file=/c.pem", "--etcd-key-file=/k.pem"},
                 [&] {
                   FakeEnv e = env;
                   e.Set("AUTHD_ETCD_PASSWORD", "s3cret-pass");
                   return e;
                 }());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->options.etcd_prefix, "/prod/authd/");
  EXPECT_EQ(ok->options.etcd_user, "authd");
  EXPECT_EQ(ok->options.etcd_password, "s3cret-pass");
  EXPECT_EQ(ok->options.etcd_cert_file, "/c.pem");
  ExpectInvalid(Load({endpoints, "--etcd-user=authd"}, env),
                "--etcd-user and AUTHD_ETCD_PASSWORD (env): give both or neither");
  ExpectInvalid(Load({endpoints, "--etcd-cert-file=/c.pem"}, env),
                "--etcd-cert-file and --etcd-key-file: give both or neither");
  ExpectInvalid(Load({"--etcd-prefix=/x/"}, env),
                "--etcd-endpoints: required by the other --etcd-* options given");
  ExpectInvalid(Load({endpoints, "--use-hashed-tokens=false"}, env),
                "--etcd-endpoints: needs --use-hashed-tokens=true");
  // The password never shows in an error.
  FakeEnv with_password = env;
  with_password.Set("AUTHD_ETCD_PASSWORD", "s3cret-pass");
  auto bad = Load({endpoints}, with_password);
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(absl::StrContains(bad.status().message(), "s3cret-pass"));
}

TEST(ServerOptionsTest, HttpApiIsOffByDefault) {
  FakeEnv env;
  auto defaults = Load({}, env);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->options.http_listen, "");
  EXPECT_EQ(defaults->options.http_max_connections, 256);
  EXPECT_EQ(defaults->options.http_max_connections_per_peer, 64);
  EXPECT_EQ(defaults->options.http_workers, 4);
  auto tls = Load({"--http-listen=127.0.0.1:8086", "--tls-cert=/c.pem", "--tls-key=/k.pem"}, env);
  EXPECT_TRUE(tls.ok()) << tls.status();  // HTTPS with the gRPC port's certificate
  ExpectInvalid(Load({"--http-workers=0"}, env), "--http-workers");
  ExpectInvalid(Load({"--http-idle-timeout=-1s"}, env), "--http-idle-timeout");
}

TEST(ServerOptionsTest, LifecycleOptions) {
  FakeEnv env;
  auto defaults = Load({}, env);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->options.max_token_lifetime, absl::ZeroDuration());
  EXPECT_EQ(defaults->options.last_used_interval, absl::Minutes(1));
  EXPECT_EQ(defaults->options.clock_offset_file, "");
  ExpectInvalid(Load({"--max-token-lifetime=-1d"}, env), "--max-token-lifetime");
  ExpectInvalid(Load({"--max-token-lifetime=-5m"}, env), "--max-token-lifetime");
  ExpectInvalid(Load({"--max-token-lifetime=200y"}, env), "--max-token-lifetime");
  ExpectInvalid(Load({"--max-token-lifetime=40000d"}, env), "--max-token-lifetime");
  ExpectInvalid(Load({"--last-used-interval=-1m"}, env), "--last-used-interval");
  ExpectInvalid(Load({"--expired-token-retention=-1d"}, env), "--expired-token-retention");
  EXPECT_EQ(defaults->options.expired_token_retention, absl::ZeroDuration());
  ExpectInvalid(Load({"--last-used-interval=10ms"}, env), "--last-used-interval");
  // The test clock exists only in tests.
  ExpectInvalid(Load({"--clock-offset-file=/tmp/x"}, env), "--clock-offset-file");
  FakeEnv testing({{"HOME", "/home/tester"}, {"AUTHD_TESTING", "1"}});
  auto clock = Load({"--clock-offset-file=/tmp/x"}, testing);
  ASSERT_TRUE(clock.ok()) << clock.status();
  EXPECT_EQ(clock->options.clock_offset_file, "/tmp/x");
}

TEST(ServerOptionsTest, BadFlagValueNamesFlagAndSource) {
  FakeEnv env;
  for (const BadValueCase& c : BadValueCases()) {
    SCOPED_TRACE("--" + c.flag + "=" + c.value);
    auto got = Load({"--" + c.flag + "=" + c.value}, env);
    ExpectInvalid(got, "--" + c.flag + " (flag): " + c.reason);
  }
}

TEST(ServerOptionsTest, BadFlagValueInSeparateFormNamesFlagAndSource) {
  FakeEnv env;
  auto got = Load({"--log-format", "xml"}, env);
  ExpectInvalid(got, "--log-format (flag): want text or json");
}

TEST(ServerOptionsTest, BadEnvValueNamesVariableAndSource) {
  for (const BadValueCase& c : BadValueCases()) {
    SCOPED_TRACE(c.env + "=" + c.value);
    FakeEnv env;
    env.Set(c.env, c.value);
    auto got = Load({}, env);
    ExpectInvalid(got, c.env + " (env): " + c.reason);
  }
}

TEST(ServerOptionsTest, UnknownFlagIsInvalidArgument) {
  FakeEnv env;
  ExpectInvalid(Load({"--no-such-flag"}, env), "unknown flag --no-such-flag");
  ExpectInvalid(Load({"--no-such-flag=1"}, env), "unknown flag --no-such-flag");
  // Prefixes and single-dash spellings are not flags either.
  ExpectInvalid(Load({"--list=1:2"}, env), "unknown flag --list");
  ExpectInvalid(Load({"-listen=1:2"}, env), "unexpected argument \"-listen=1:2\"");
  ExpectInvalid(Load({"serve"}, env), "unexpected argument \"serve\"");
}

TEST(ServerOptionsTest, FlagWithoutValueIsInvalidArgument) {
  FakeEnv env;
  for (const char* flag : {"listen", "data-dir", "log-level", "log-format", "session-ttl",
                           "max-receive-message-bytes"}) {
    auto got = Load({std::string("--") + flag}, env);
    ExpectInvalid(got, std::string("--") + flag + " (flag): needs a value");
  }
}

TEST(ServerOptionsTest, HelpAndVersionReturnTheirAction) {
  FakeEnv env;
  for (const char* arg : {"--help", "-h"}) {
    auto got = Load({arg}, env);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->action, OptionsAction::kHelp) << arg;
  }
  auto version = Load({"--version"}, env);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->action, OptionsAction::kVersion);
  // Later arguments are not parsed once help is asked for, and HOME is not needed.
  FakeEnv no_home(FakeEnv::Vars{});
  auto help = Load({"--listen=1.2.3.4:5", "--help", "--bogus"}, no_home);
  ASSERT_TRUE(help.ok()) << help.status();
  EXPECT_EQ(help->action, OptionsAction::kHelp);
  auto version_no_home = Load({"--version"}, no_home);
  ASSERT_TRUE(version_no_home.ok()) << version_no_home.status();
  EXPECT_EQ(version_no_home->action, OptionsAction::kVersion);
}

TEST(ServerOptionsTest, NoHomeAndNoDataDirIsInvalidArgument) {
  FakeEnv env(FakeEnv::Vars{});
  auto got = Load({}, env);
  ExpectInvalid(got, "--data-dir: required when $HOME is not set");
}

TEST(ServerOptionsTest, EmptyHomeCountsAsUnset) {
  FakeEnv env(FakeEnv::Vars{{"HOME", ""}});
  ExpectInvalid(Load({}, env), "--data-dir: required");
}

TEST(ServerOptionsTest, NoHomeWithDataDirFromFlagOrEnvSucceeds) {
  FakeEnv env(FakeEnv::Vars{});
  auto from_flag = Load({"--data-dir=/data"}, env);
  ASSERT_TRUE(from_flag.ok()) << from_flag.status();
  EXPECT_EQ(from_flag->options.data_dir, "/data");
  env.Set("AUTHD_DATA_DIR", "/env-data");
  auto from_env = Load({}, env);
  ASSERT_TRUE(from_env.ok()) << from_env.status();
  EXPECT_EQ(from_env->options.data_dir, "/env-data");
}

TEST(ServerOptionsTest, UsageListsEveryFlagAndEnvVar) {
  const std::string usage = ServerUsage();
  for (const char* s :
       {"--listen=VALUE", "AUTHD_LISTEN", "--data-dir=VALUE", "AUTHD_DATA_DIR",
        "--use-hashed-tokens[=true|false]", "AUTHD_USE_HASHED_TOKENS", "--log-level=VALUE",
        "AUTHD_LOG_LEVEL", "--log-format=VALUE", "AUTHD_LOG_FORMAT", "--session-ttl=VALUE",
        "AUTHD_SESSION_TTL", "--max-receive-message-bytes=VALUE",
        "AUTHD_MAX_RECEIVE_MESSAGE_BYTES", "--max-sync-threads=VALUE", "AUTHD_MAX_SYNC_THREADS",
        "--max-concurrent-streams=VALUE", "AUTHD_MAX_CONCURRENT_STREAMS",
        "--grpc-memory-quota-bytes=VALUE", "AUTHD_GRPC_MEMORY_QUOTA_BYTES",
        "--max-concurrent-password-hashes=VALUE", "AUTHD_MAX_CONCURRENT_PASSWORD_HASHES",
        "--http2-front[=true|false]", "AUTHD_HTTP2_FRONT", "--max-connections=VALUE",
        "AUTHD_MAX_CONNECTIONS", "--max-connections-per-peer=VALUE",
        "AUTHD_MAX_CONNECTIONS_PER_PEER", "--new-connections-per-peer-per-second=VALUE",
        "--max-stream-resets-per-second=VALUE", "--handshake-timeout=VALUE",
        "AUTHD_HANDSHAKE_TIMEOUT", "--client-stall-timeout=VALUE", "AUTHD_CLIENT_STALL_TIMEOUT",
        "--config=FILE", "AUTHD_CONFIG", "--help",
        "--version"}) {
    EXPECT_TRUE(absl::StrContains(usage, s)) << s;
  }
}

// ---------------------------------------------------------------------------------------------
// The config file (--config / AUTHD_CONFIG): precedence flag > env > file > default.

class ServerOptionsConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                        "/server_options_test.XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
  FakeEnv env_;
};

TEST_F(ServerOptionsConfigFileTest, YamlFileIsApplied) {
  const std::string path = Write("authd.yaml",
                                 "listen: 0.0.0.0:7000\n"
                                 "data-dir: /from/file\n"
                                 "use-hashed-tokens: false\n"
                                 "log-level: debug\n"
                                 "log-format: json\n"
                                 "session-ttl: 45m\n"
                                 "max-receive-message-bytes: 8192\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--config=" + path}, std::vector<std::string>{"--config", path}}) {
    auto got = Load(args, env_);
    ASSERT_TRUE(got.ok()) << got.status();
    const ServerOptions& o = got->options;
    EXPECT_EQ(o.listen, "0.0.0.0:7000");
    EXPECT_EQ(o.data_dir, "/from/file");
    EXPECT_FALSE(o.use_hashed_tokens);
    EXPECT_EQ(o.log_level, "debug");
    EXPECT_EQ(o.log_format, "json");
    EXPECT_EQ(o.session_ttl, absl::Minutes(45));
    EXPECT_EQ(o.max_receive_message_bytes, 8192);
  }
}

TEST_F(ServerOptionsConfigFileTest, JsonFileNamedByEnvIsApplied) {
  const std::string path =
      Write("authd.json", "{\"listen\": \"127.0.0.1:6000\", \"use-hashed-tokens\": \"no\"}\n");
  env_.Set("AUTHD_CONFIG", path);
  auto got = Load({}, env_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->options.listen, "127.0.0.1:6000");
  EXPECT_FALSE(got->options.use_hashed_tokens);
}

TEST_F(ServerOptionsConfigFileTest, EnvBeatsFileAndFlagBeatsBoth) {
  const std::string path = Write("authd.yaml",
                                 "listen: 0.0.0.0:7000\n"
                                 "log-level: debug\n"
                                 "log-format: json\n");
  env_.Set("AUTHD_LOG_LEVEL", "warn");
  env_.Set("AUTHD_LOG_FORMAT", "text");
  auto got = Load({"--config", path, "--log-format=json"}, env_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->options.listen, "0.0.0.0:7000");  // file
  EXPECT_EQ(got->options.log_level, "warn");       // env over file
  EXPECT_EQ(got->options.log_format, "json");      // flag over env
}

TEST_F(ServerOptionsConfigFileTest, ConfigFlagBeatsConfigEnv) {
  const std::string from_env = Write("env.yaml", "log-level: debug\n");
  const std::string from_flag = Write("flag.yaml", "log-level: error\n");
  env_.Set("AUTHD_CONFIG", from_env);
  auto got = Load({"--config=" + from_flag}, env_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->options.log_level, "error");
}

TEST_F(ServerOptionsConfigFileTest, EmptyFileSetsNothing) {
  const std::string path = Write("empty.yaml", "");
  auto got = Load({"--config=" + path}, env_);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->options.listen, "127.0.0.1:50051");
}

TEST_F(ServerOptionsConfigFileTest, BadFileValueNamesKeyFileAndLine) {
  const std::string path = Write("bad.yaml",
                                 "listen: 0.0.0.0:7000\n"
                                 "\n"
                                 "use-hashed-tokens: maybe\n");
  auto got = Load({"--config=" + path}, env_);
  ExpectInvalid(got, "use-hashed-tokens (config file " + path + ":3): want true or false");
}

TEST_F(ServerOptionsConfigFileTest, UnknownFileKeyIsInvalidArgument) {
  const std::string path = Write("unknown.yaml", "listen: 0.0.0.0:7000\nlisten-port: 1\n");
  auto got = Load({"--config=" + path}, env_);
  ExpectInvalid(got, path + ":2: unknown option \"listen-port\"");
}

TEST_F(ServerOptionsConfigFileTest, MalformedOrNestedFileIsInvalidArgument) {
  ExpectInvalid(Load({"--config=" + Write("list.yaml", "- a\n- b\n")}, env_),
                "must be a mapping of option names to values");
  ExpectInvalid(Load({"--config=" + Write("nested.yaml", "listen:\n  host: x\n")}, env_),
                "listen: value must be a single scalar");
  ExpectInvalid(Load({"--config=" + Write("dup.yaml", "listen: a:1\nlisten: b:2\n")}, env_),
                "listen: given more than once");
  ExpectInvalid(Load({"--config=" + Write("broken.yaml", "listen: [unclosed\n")}, env_),
                "malformed config file");
}

TEST_F(ServerOptionsConfigFileTest, MissingFileIsInvalidArgument) {
  const std::string path = dir_ + "/does-not-exist.yaml";
  ExpectInvalid(Load({"--config=" + path}, env_), path + ": cannot read config file");
  env_.Set("AUTHD_CONFIG", path);
  ExpectInvalid(Load({}, env_), path + ": cannot read config file");
}

}  // namespace
}  // namespace authd::services
