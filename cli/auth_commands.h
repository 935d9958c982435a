// `authctl auth` (alias `authorization`), at parity with `influx auth`:
//   create    -o/--org | --org-id, -u/--user, -d/--description, --read-bucket ID..., --write-bucket
//             ID..., --operator, --all-access, --read-<type> / --write-<type> for 22 types
//   list      (aliases find, ls) -i/--id, -u/--user, --user-id, -o/--org, --org-id
//   active    -i/--id            inactive  -i/--id            delete  -i/--id
// Tables have the columns ID, Description, Token, User Name, User ID, Permissions (+ Deleted for
// delete); `--json` prints {id, description, token, status, userName, userID, permissions[]}. The
// token is only ever non-empty in the output of `create`: authd stores tokens hashed.
#ifndef AUTHD_CLI_AUTH_COMMANDS_H_
#define AUTHD_CLI_AUTH_COMMANDS_H_

#include <string>
#include <vector>

#include "authd/v1/types.pb.h"
#include "cli/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace authd::cli {

// Adds `auth` and its subcommands under `root`; their actions use `ctx`, which must outlive them.
void AddAuthCommands(CLI::App* root, CommandContext* ctx);

// The token column: the plaintext when the server sent one (create), else empty; a stored hash
// (a value starting with '$') is never shown.
std::string DisplayToken(const authd::v1::Authorization& auth);

}  // namespace authd::cli

#endif  // AUTHD_CLI_AUTH_COMMANDS_H_
