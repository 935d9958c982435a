// `authctl auth` (alias `authorization`), at parity with `influx auth`, plus token lifecycle
// (docs/adr/0007):
//   create    -o/--org | --org-id, -u/--user, -d/--description, --read-bucket ID..., --write-bucket
//             ID..., --operator, --all-access, --read-<type> / --write-<type> for 22 types;
//             --expires-in DURATION (sent as `ttl`) | --expires-at RFC3339
//   list      (aliases find, ls) -i/--id, -u/--user, --user-id, -o/--org, --org-id;
//             --unused-since DURATION|RFC3339, --expiring-within DURATION,
//             --status active|inactive|expired, --never-used, --sort id|created|expires|last-used,
//             --desc. Every page is fetched. `--id` wins over every other filter, as in influx.
//   update    -i/--id, -d/--description, --expires-in DURATION | --expires-at RFC3339 |
//             --never-expires (--expires-in is turned into an instant with the local clock)
//   rotate    -i/--id, --grace DURATION (default 0)
//   active    -i/--id            inactive  -i/--id            delete  -i/--id
// Durations: 30d, 72h, 1w, 1h30m (cli/lifecycle_flags.h). Tables have the columns ID,
// Description, Token, User Name, User ID, Expires, Last Used, Permissions (+ Deleted for delete,
// + Previous Token Valid Until for rotate); times are UTC to the second, "never" when unset.
// `--json` prints {id, description, token, status, userName, userID, permissions[], expiresAt,
// lastUsedAt, rotatedAt, previousTokenValidUntil}, the times RFC 3339 with nanoseconds, "" when
// unset. The token is only ever non-empty in the output of `create` and `rotate`: authd stores
// tokens hashed.
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
