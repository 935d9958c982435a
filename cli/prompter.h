// Prompter: asks the user for missing values, the way the influx CLI does. On a terminal it
// re-asks until it gets a valid answer, hides secrets (no echo) and asks for passwords twice; on
// anything else (a pipe, a file) it reads one line per question, as influx's non-interactive mode
// does, so scripts and tests can feed answers on stdin. Prompts go to `prompt_out` (stderr), never
// to stdout, so `--json` output stays clean. Not thread-safe.
#ifndef AUTHD_CLI_PROMPTER_H_
#define AUTHD_CLI_PROMPTER_H_

#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace authd::cli {

// influx's minimum password length.
inline constexpr size_t kMinPasswordLength = 8;

class Prompter {
 public:
  Prompter(std::FILE* in, std::FILE* prompt_out, bool interactive)
      : in_(in), out_(prompt_out), interactive_(interactive) {}

  // stdin and stderr; interactive when stdin is a terminal.
  static Prompter ForStdio();

  bool interactive() const { return interactive_; }

  // "> message".
  void Banner(absl::string_view message);
  // "X message", for an answer that was refused.
  void Error(absl::string_view message);

  // A non-empty answer, or `default_value` for an empty one. Errors: kInvalidArgument "couldn't get
  // input for prompt \"<prompt>\": no data on stdin" when input ends (or is empty with no default).
  absl::StatusOr<std::string> GetStringInput(absl::string_view prompt,
                                             absl::string_view default_value = "");

  // A secret of at least `min_length` bytes, not echoed on a terminal. Errors: kInvalidArgument
  // "value for prompt \"<prompt>\" is too short: min length is <n>" (non-interactive), or the
  // no-data error above. The message never contains the value.
  absl::StatusOr<std::string> GetSecret(absl::string_view prompt, size_t min_length);

  // GetSecret with the password minimum; on a terminal also "<prompt> again", repeating until both
  // match ("Passwords do not match").
  absl::StatusOr<std::string> GetPassword(absl::string_view prompt);

  // Prints `prompt` with "(y/N)"; true only for an answer starting with 'y' or 'Y'.
  bool GetConfirm(absl::string_view prompt);

 private:
  // One line without its newline; nullopt at end of input.
  std::optional<std::string> ReadLine(bool hide);
  void Print(absl::string_view text);

  std::FILE* in_;
  std::FILE* out_;
  bool interactive_;
};

}  // namespace authd::cli

#endif  // AUTHD_CLI_PROMPTER_H_
