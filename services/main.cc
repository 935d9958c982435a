// authd: the server binary. Reads options (flag > env > config file > default), starts AuthdServer,
// and shuts down gracefully on SIGTERM or SIGINT. `authd recovery|rebuild-projections|verify|
// downgrade ...` are the offline commands (services/offline_commands.h).
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"  // SetMutexDeadlockDetectionMode
#include "base/clock.h"
#include "base/log.h"
#include "services/offline_commands.h"
#include "services/server.h"
#include "services/server_options.h"

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, which leaves absl::Mutex's deadlock detection on: a
  // global lock and a graph update on every lock (docs/performance.md). authd's own locks are
  // authd::Mutex (base/mutex.h); this is for gRPC's.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Argon2id (SignIn, CreateUser, SetPassword) allocates 19 MiB per hash. glibc serves the first
  // such block with mmap, then raises its dynamic mmap threshold past it, so later ones come from
  // the per-thread malloc arenas, which keep them after free: up to one block per arena. Measured:
  // the soak test's RSS went from 245 to 343 MiB in a minute of occasional sign-ins, and the
  // overload test's sign-in storm left 280-350 MB instead of ~110 MB. A fixed threshold (setting it
  // turns the adjustment off) hands every block of 4 MiB or more back to the system on free.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  if (authd::services::IsOfflineCommand(argc, argv)) {
    return authd::services::RunOfflineCommand(argc, argv, std::cout, std::cerr);
  }
  using authd::services::LoadServerOptions;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto loaded = LoadServerOptions(args, [](const char* name) { return std::getenv(name); });
  if (!loaded.ok()) {
    std::fprintf(stderr, "authd: %s\n", std::string(loaded.status().message()).c_str());
    return 2;
  }
  if (loaded->action == authd::services::OptionsAction::kHelp) {
    std::fputs(authd::services::ServerUsage().c_str(), stdout);
    return 0;
  }
  if (loaded->action == authd::services::OptionsAction::kVersion) {
    std::printf("authd %s\n", authd::services::kAuthdVersion);
    return 0;
  }
  const authd::services::ServerOptions& options = loaded->options;
  authd::SetLogLevel(*authd::ParseLogLevel(options.log_level));
  authd::SetLogJson(options.log_format == "json");

  // A client that hangs up while TLS writes to it must cost a connection, not the process:
  // OpenSSL writes with write(2), which raises SIGPIPE (net/h2_front.h). Plaintext writes use
  // MSG_NOSIGNAL already.
  signal(SIGPIPE, SIG_IGN);

  // Block the shutdown signals in every thread; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Every file authd writes (RocksDB's included) is private to its user: 0600, dirs 0700.
  umask(077);

  // Each client connection costs three descriptors (the socket and a socketpair to gRPC, see
  // net/h2_front.h): take the hard limit, as most servers do, and say so if it is too small for
  // --max-connections (the front then pauses accepting instead of failing).
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  const rlim_t wanted = static_cast<rlim_t>(options.max_connections) * 3 + 256;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < wanted) {
    authd::LogWarning(absl::StrCat("open-file limit ", files.rlim_cur, " is below the ", wanted,
                                   " that --max-connections=", options.max_connections,
                                   " needs; raise it (ulimit -n) or lower --max-connections"));
  }

  authd::RealClock clock;
  auto server = authd::services::AuthdServer::Start(options, &clock);
  if (!server.ok()) {
    authd::LogError(absl::StrCat("authd failed to start: ", server.status().message()));
    return 1;
  }
  authd::LogInfo(absl::StrCat("authd ", authd::services::kAuthdVersion, " listening on ",
                              (*server)->address(),
                              options.tls_cert.empty()           ? " (plaintext)"
                              : options.tls_client_ca.empty()    ? " (TLS)"
                                                                 : " (mutual TLS)"));

  int sig = 0;
  sigwait(&signals, &sig);
  authd::LogInfo(absl::StrCat("received ", sig == SIGTERM ? "SIGTERM" : "SIGINT",
                              ", shutting down"));
  (*server)->Shutdown(absl::Seconds(10));
  authd::LogInfo("authd stopped");
  return 0;
}
