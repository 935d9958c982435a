// legit_client: the well-behaved sibling of bench/hostile/run.sh. Calls Authorize every --period
// on one long-lived channel to --target (bench/hostile/legit_load.h) and prints one JSON line per
// phase: `quiet` for --quiet, `attack` for --attack, `after` for --after (the script starts the
// attacker --quiet seconds after this). Then one call on a fresh channel ("fresh_channel_ok").
// Only loopback targets.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "bench/flags.h"
#include "bench/hostile/legit_load.h"

int main(int argc, char** argv) {
  std::string target, token, org, bucket;
  absl::Duration quiet = absl::Seconds(5), attack = absl::Seconds(30), after = absl::Seconds(5);
  absl::Duration period = absl::Milliseconds(5), deadline = absl::Seconds(2);
  authd::bench::Flags flags;
  flags.Add("target", &target, "authd address, 127.0.0.1:PORT");
  flags.Add("token", &token, "a token that may read the bucket");
  flags.Add("org", &org, "org id");
  flags.Add("bucket", &bucket, "bucket id");
  flags.Add("quiet", &quiet, "quiet phase before the attack");
  flags.Add("attack", &attack, "attack phase");
  flags.Add("after", &after, "phase after the attack");
  flags.Add("period", &period, "time between calls");
  flags.Add("deadline", &deadline, "deadline of each call");
  absl::Status parsed = flags.Parse(argc, argv);
  if (!parsed.ok() || flags.help_requested()) {
    std::fprintf(stderr, "%s\n", std::string(parsed.message()).c_str());
    return 2;
  }
  if (!absl::StartsWith(target, "127.") && !absl::StartsWith(target, "localhost:") &&
      !absl::StartsWith(target, "[::1]:")) {
    std::fprintf(stderr, "legit_client: only loopback targets\n");
    return 2;
  }
  authd::bench::LegitLoadOptions options;
  options.channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  options.request.set_token(token);
  options.request.set_action("read");
  options.request.mutable_resource()->set_type("buckets");
  options.request.mutable_resource()->set_id(bucket);
  options.request.mutable_resource()->set_org_id(org);
  options.period = period;
  options.deadline = deadline;
  authd::bench::LegitLoad load(options);
  load.Start();
  absl::SleepFor(quiet);
  std::cout << "{\"phase\":\"quiet\",\"result\":" << load.TakePhase().Json() << "}" << std::endl;
  absl::SleepFor(attack);
  std::cout << "{\"phase\":\"attack\",\"result\":" << load.TakePhase().Json() << "}" << std::endl;
  absl::SleepFor(after);
  std::cout << "{\"phase\":\"after\",\"result\":" << load.TakePhase().Json() << "}" << std::endl;
  load.Stop();
  bool fresh = authd::bench::FreshChannelAuthorizes(target, options.request, absl::Seconds(10));
  std::cout << "{\"fresh_channel_ok\":" << (fresh ? "true" : "false") << "}" << std::endl;
  return 0;
}
