// `authctl config`, as `influx config`: manage the connection profiles in the configs file.
//   config [NAME]   without NAME prints the active profile; with NAME makes it active
//   config create   -n/--config-name NAME [-u/--host-url HOST] [-t/--token] [-o/--org] [-a/--active]
//   config set      (alias update) -n NAME [-u HOST] [-t TOKEN] [-o ORG] [-a]
//   config list     (alias ls)
//   config rm NAME...  (aliases delete, remove); unknown names are skipped, as influx does
// Tables: `Active, Name, Host, Org` (+ `Deleted`); `*` marks the active profile. Tokens are never
// printed, in tables or JSON.
#ifndef AUTHD_CLI_CONFIG_COMMANDS_H_
#define AUTHD_CLI_CONFIG_COMMANDS_H_

#include "cli/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace authd::cli {

// Adds `config` and its subcommands under `root`; `ctx` must outlive them.
void AddConfigCommands(CLI::App* root, CommandContext* ctx);

}  // namespace authd::cli

#endif  // AUTHD_CLI_CONFIG_COMMANDS_H_
