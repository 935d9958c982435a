// authctl: the authd admin command line, at parity with the `influx` CLI's token commands.
// Parses the command line with CLI11 (the only place its exceptions are caught), runs the chosen
// command's action, and reports any failure as one line `Error: <message>` on stderr with exit
// code 1. Known secrets (tokens and passwords from the command line, the environment, the profile
// or prompts) are blanked out of every error message.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/backup_commands.h"
#include "cli/auth_commands.h"
#include "cli/command_context.h"
#include "cli/config_commands.h"
#include "cli/prompter.h"
#include "cli/setup_commands.h"
#include "cli/tenant_commands.h"

namespace {

using authd::cli::CommandContext;

int Fail(const CommandContext& ctx, absl::string_view message) {
  std::string line = absl::StrCat("Error: ", ctx.Redact(message), "\n");
  std::fwrite(line.data(), 1, line.size(), stderr);
  return 1;
}

// The values of every secret-bearing flag (-t/--token, -p/--password, --operator-token, in any
// subcommand), so that
// even a parse error that echoes arguments cannot print them.
std::vector<std::string> SecretArguments(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "-t" || arg == "--token" || arg == "-p" || arg == "--password" ||
        arg == "--operator-token") {
      if (i + 1 < argc) out.emplace_back(argv[i + 1]);
    } else if (absl::StartsWith(arg, "--token=") || absl::StartsWith(arg, "--password=") ||
               absl::StartsWith(arg, "--operator-token=")) {
      out.emplace_back(arg.substr(arg.find('=') + 1));
    } else if ((absl::StartsWith(arg, "-t") || absl::StartsWith(arg, "-p")) &&
               !absl::StartsWith(arg, "--") && arg.size() > 2) {
      out.emplace_back(arg.substr(arg[2] == '=' ? 3 : 2));
    }
  }
  return out;
}

// CLI11 lists unexpected arguments verbatim; name flags, but not values that could be secrets.
std::string DescribeExtras(const std::vector<std::string>& extras) {
  for (const std::string& arg : extras) {
    if (absl::StartsWith(arg, "-")) return absl::StrCat("unknown flag: ", arg.substr(0, arg.find('=')));
  }
  for (const std::string& arg : extras) {
    if (arg.size() <= 32 && !absl::StartsWith(arg, "authd_")) {
      return absl::StrCat("unknown command or argument: ", arg);
    }
  }
  return "unknown command or argument";
}

}  // namespace

int main(int argc, char** argv) {
  authd::cli::Prompter prompter = authd::cli::Prompter::ForStdio();
  CommandContext ctx([](const char* name) { return std::getenv(name); }, &prompter, stdout, stderr);
  for (const std::string& secret : SecretArguments(argc, argv)) ctx.AddSecret(secret);

  CLI::App app("authctl: the authd admin command line (influx CLI style)", "authctl");
  try {
    // Every flag is accepted after the subcommand too (`authctl auth list --json`), as influx does.
    app.fallthrough();
    app.require_subcommand(1);
    authd::cli::GlobalFlags& flags = ctx.flags();
    app.add_option("--host", flags.host,
                   "gRPC address of authd (env AUTHD_HOST; default: the profile's, else 127.0.0.1:50051)");
    app.add_option("-t,--token", flags.token, "Token to use (env AUTHD_TOKEN; default: the profile's)");
    app.add_option("-c,--active-config", flags.active_config,
                   "Config profile to use instead of the active one");
    app.add_option("--configs-path", flags.configs_path,
                   "Path to the configs file (env AUTHCTL_CONFIGS_PATH; default ~/.authctl/configs)");
    app.add_flag("--json", flags.json, "Output data as JSON");
    app.add_flag("--hide-headers", flags.hide_headers, "Hide the table headers");
    app.add_option("--tls-ca", flags.tls_ca,
                   "PEM CA of authd's certificate: connect with TLS (env AUTHD_TLS_CA)");
    app.add_option("--tls-cert", flags.tls_cert,
                   "PEM client certificate for mutual TLS (env AUTHD_TLS_CERT)");
    app.add_option("--tls-key", flags.tls_key, "PEM key of --tls-cert (env AUTHD_TLS_KEY)");

    authd::cli::AddSetupCommands(&app, &ctx);
    authd::cli::AddConfigCommands(&app, &ctx);
    authd::cli::AddAuthCommands(&app, &ctx);
    authd::cli::AddTenantCommands(&app, &ctx);
    authd::cli::AddBackupCommands(&app, &ctx);

    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // A mistyped command surfaces as "A subcommand is required" plus leftovers: name the leftover.
    std::vector<std::string> extras = app.remaining(true);
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr ||
        (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && !extras.empty())) {
      return Fail(ctx, DescribeExtras(extras));
    }
    return Fail(ctx, e.what());
  } catch (const CLI::Error& e) {
    return Fail(ctx, e.what());
  }

  const CLI::App* leaf = &app;
  for (;;) {
    std::vector<CLI::App*> chosen = leaf->get_subcommands();
    if (chosen.empty()) break;
    leaf = chosen.front();
  }
  const CommandContext::Action* action = ctx.FindAction(leaf);
  if (action == nullptr) return Fail(ctx, "a subcommand is required");
  absl::Status status = (*action)();
  if (!status.ok()) return Fail(ctx, status.message());
  return 0;
}
