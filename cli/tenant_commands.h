// `authctl org|user|bucket`, the influx CLI's tenant commands for what authd keeps:
//   org     create -n/--name [-d]; list (find, ls) [-n] [-i]; delete -i;
//           update -i [-d] [--max-token-lifetime DURATION (0 removes the limit)]
//   user    create -n/--name [-p]; list (find, ls) [-n] [-i]; delete -i;
//           password -n/--name | -i/--id [-p] (prompts when -p is missing)
//   bucket  create -n/--name [-d] [-r/--retention] [-o/--org | --org-id];
//           list (find, ls) [-i] [-n] [-o | --org-id]; delete -i | -n with the org
// Tables: orgs and users `ID, Name`; buckets `ID, Name, Retention, Organization ID`; delete adds
// `Deleted`. `--json` prints the objects (an org's `maxTokenLifetimeSeconds`: 0 for no limit).
#ifndef AUTHD_CLI_TENANT_COMMANDS_H_
#define AUTHD_CLI_TENANT_COMMANDS_H_

#include "cli/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace authd::cli {

// Adds `org` (alias `organization`), `user` and `bucket` under `root`; `ctx` must outlive them.
void AddTenantCommands(CLI::App* root, CommandContext* ctx);

}  // namespace authd::cli

#endif  // AUTHD_CLI_TENANT_COMMANDS_H_
