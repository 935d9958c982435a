#include "cli/prompter.h"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace authd::cli {
namespace {

// Go's %q for the plain-ASCII prompts authctl uses: quotes and backslashes escaped.
std::string Quoted(absl::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += "\"";
  return out;
}

absl::Status NoData(absl::string_view prompt) {
  return absl::InvalidArgumentError(
      absl::StrCat("couldn't get input for prompt ", Quoted(prompt), ": no data on stdin"));
}

}  // namespace

Prompter Prompter::ForStdio() { return Prompter(stdin, stderr, isatty(STDIN_FILENO) == 1); }

void Prompter::Print(absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

void Prompter::Banner(absl::string_view message) { Print(absl::StrCat("> ", message, "\n")); }

void Prompter::Error(absl::string_view message) { Print(absl::StrCat("X ", message, "\n")); }

std::optional<std::string> Prompter::ReadLine(bool hide) {
  const int fd = fileno(in_);
  termios saved{};
  const bool restore = hide && interactive_ && tcgetattr(fd, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  char* buf = nullptr;
  size_t cap = 0;
  ssize_t n = getline(&buf, &cap, in_);
  if (restore) {
    tcsetattr(fd, TCSAFLUSH, &saved);
    Print("\n");
  }
  if (n < 0) {
    std::free(buf);
    return std::nullopt;
  }
  std::string line(buf, static_cast<size_t>(n));
  std::free(buf);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

absl::StatusOr<std::string> Prompter::GetStringInput(absl::string_view prompt,
                                                     absl::string_view default_value) {
  for (;;) {
    Print(default_value.empty() ? absl::StrCat("? ", prompt, ": ")
                                : absl::StrCat("? ", prompt, " (", default_value, "): "));
    std::optional<std::string> line = ReadLine(/*hide=*/false);
    if (!interactive_) Print("\n");
    if (!line.has_value()) {
      // influx's non-interactive mode answers the default at end of input.
      if (!interactive_ && !default_value.empty()) return std::string(default_value);
      return NoData(prompt);
    }
    if (!line->empty()) return *line;
    if (!default_value.empty()) return std::string(default_value);
    if (!interactive_) return NoData(prompt);
    Error("Sorry, your reply was invalid: Value is required");
  }
}

absl::StatusOr<std::string> Prompter::GetSecret(absl::string_view prompt, size_t min_length) {
  for (;;) {
    Print(absl::StrCat("? ", prompt, ": "));
    std::optional<std::string> line = ReadLine(/*hide=*/true);
    if (!interactive_) Print("\n");
    if (!line.has_value()) return NoData(prompt);
    if (line->size() >= min_length) return *line;
    if (!interactive_) {
      return absl::InvalidArgumentError(absl::StrCat("value for prompt ", Quoted(prompt),
                                                     " is too short: min length is ", min_length));
    }
    Error(absl::StrCat("Sorry, your reply was invalid: value is too short. Min length is ",
                       min_length));
  }
}

absl::StatusOr<std::string> Prompter::GetPassword(absl::string_view prompt) {
  for (;;) {
    absl::StatusOr<std::string> first = GetSecret(prompt, kMinPasswordLength);
    if (!first.ok() || !interactive_) return first;
    absl::StatusOr<std::string> second = GetSecret(absl::StrCat(prompt, " again"), 0);
    if (!second.ok()) return second;
    if (*first == *second) return first;
    Error("Passwords do not match");
  }
}

bool Prompter::GetConfirm(absl::string_view prompt) {
  // A multi-line prompt (setup's summary) gets the choice on its last line.
  absl::string_view text = prompt;
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  Print(absl::StrCat("? ", text, " (y/N) "));
  std::optional<std::string> line = ReadLine(/*hide=*/false);
  if (!interactive_) Print("\n");
  return line.has_value() && !line->empty() && (line->front() == 'y' || line->front() == 'Y');
}

}  // namespace authd::cli
