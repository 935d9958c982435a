#include "bench/flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace authd::bench {

void Flags::Add(const std::string& name, std::string* value, const std::string& help) {
  flags_[name] = Flag{help, *value, false, [value](const std::string& v) {
                        *value = v;
                        return true;
                      }};
}

void Flags::Add(const std::string& name, int* value, const std::string& help) {
  flags_[name] = Flag{help, absl::StrCat(*value), false,
                      [value](const std::string& v) { return absl::SimpleAtoi(v, value); }};
}

void Flags::Add(const std::string& name, int64_t* value, const std::string& help) {
  flags_[name] = Flag{help, absl::StrCat(*value), false,
                      [value](const std::string& v) { return absl::SimpleAtoi(v, value); }};
}

void Flags::Add(const std::string& name, double* value, const std::string& help) {
  flags_[name] = Flag{help, absl::StrCat(*value), false,
                      [value](const std::string& v) { return absl::SimpleAtod(v, value); }};
}

void Flags::Add(const std::string& name, bool* value, const std::string& help) {
  flags_[name] = Flag{help, *value ? "true" : "false", true, [value](const std::string& v) {
                        if (v == "true" || v == "1") {
                          *value = true;
                        } else if (v == "false" || v == "0") {
                          *value = false;
                        } else {
                          return false;
                        }
                        return true;
                      }};
}

void Flags::Add(const std::string& name, absl::Duration* value, const std::string& help) {
  flags_[name] = Flag{help, absl::FormatDuration(*value), false,
                      [value](const std::string& v) { return absl::ParseDuration(v, value); }};
}

absl::Status Flags::Parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    if (!has_value) {
      if (!it->second.is_bool) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value (--", name, "=...)"));
      }
      value = "true";
    }
    if (!it->second.set(value)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": malformed value \"", value, "\""));
    }
  }
  return absl::OkStatus();
}

std::string Flags::Usage(const std::string& program, const std::string& summary) const {
  std::string out = absl::StrCat("usage: ", program, " [flags]\n", summary, "\n\nflags:\n");
  for (const auto& [name, flag] : flags_) {
    absl::StrAppendFormat(&out, "  --%-16s %s (default: %s)\n", name, flag.help,
                          flag.default_text.empty() ? "\"\"" : flag.default_text);
  }
  return out;
}

}  // namespace authd::bench
