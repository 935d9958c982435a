// null_server: serves authd.v1.AuthorizeService with an empty reply, on authd's gRPC server setup
// (bench/null_server.h), until SIGTERM or SIGINT. Prints "null_server listening on HOST:PORT".
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "bench/flags.h"
#include "bench/null_server.h"

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  bool deadlock_detection = true;
  authd::bench::Flags flags;
  flags.Add("listen", &listen, "host:port to listen on; port 0 picks a free port");
  flags.Add("absl-deadlock-detection", &deadlock_detection,
            "leave absl::Mutex deadlock detection as the library built it (on in Debian's abseil, "
            "as in authd); false measures what turning it off would give");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::fprintf(stderr, "null_server: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  if (flags.help_requested()) {
    std::fputs(flags.Usage("null_server", "An AuthorizeService that returns an empty reply, built "
                                          "like authd's server: the gRPC limit.")
                   .c_str(),
               stdout);
    return 0;
  }
  if (!deadlock_detection) absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = authd::bench::NullServer::Start(listen);
  if (!server.ok()) {
    std::fprintf(stderr, "null_server: %s\n", std::string(server.status().message()).c_str());
    return 1;
  }
  std::printf("null_server listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  (*server)->Shutdown();
  return 0;
}
