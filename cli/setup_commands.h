// `authctl setup` and `authctl signin`, which put a token into a config profile.
//   setup   -u/--username -p/--password -t/--token -o/--org -b/--bucket -r/--retention -f/--force
//           -n/--name: as `influx setup`: refuses when the instance is already set up, prompts for
//           what is missing and for confirmation unless --force, then saves the returned operator
//           token in a new profile (`default`, or -n NAME, which is required once any profile
//           exists), made active, with mode 0600. Prints `User, Organization, Bucket`; never the token.
//   signin  -u/--username [-p/--password]: exchanges the password for a session token and stores
//           it in the profile in use (-c NAME or the active one; a new `default` when none exists).
#ifndef AUTHD_CLI_SETUP_COMMANDS_H_
#define AUTHD_CLI_SETUP_COMMANDS_H_

#include "cli/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace authd::cli {

// Adds `setup` and `signin` under `root`; `ctx` must outlive them.
void AddSetupCommands(CLI::App* root, CommandContext* ctx);

}  // namespace authd::cli

#endif  // AUTHD_CLI_SETUP_COMMANDS_H_
