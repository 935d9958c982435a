// A minimal `--name=value` flag parser for the bench binaries (they are tools, not product: no
// config files, no env vars). Booleans also accept a bare `--name`. Not thread-safe.
#ifndef AUTHD_BENCH_FLAGS_H_
#define AUTHD_BENCH_FLAGS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace authd::bench {

class Flags {
 public:
  // Registers a flag; `help` shows in Usage(). The pointee keeps its value when the flag is absent.
  void Add(const std::string& name, std::string* value, const std::string& help);
  void Add(const std::string& name, int* value, const std::string& help);
  void Add(const std::string& name, int64_t* value, const std::string& help);
  void Add(const std::string& name, double* value, const std::string& help);
  void Add(const std::string& name, bool* value, const std::string& help);
  // Durations in absl syntax: `10s`, `500ms`, `2m`.
  void Add(const std::string& name, absl::Duration* value, const std::string& help);

  // Parses argv[1..]. `--help` sets help_requested(). Errors: kInvalidArgument naming the flag
  // (unknown flag, missing or malformed value, positional argument).
  absl::Status Parse(int argc, char** argv);
  bool help_requested() const { return help_; }
  std::string Usage(const std::string& program, const std::string& summary) const;

 private:
  struct Flag {
    std::string help;
    std::string default_text;
    bool is_bool = false;
    std::function<bool(const std::string&)> set;
  };
  std::map<std::string, Flag> flags_;
  bool help_ = false;
};

}  // namespace authd::bench

#endif  // AUTHD_BENCH_FLAGS_H_
