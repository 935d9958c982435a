// `authctl backup DIR` and `authctl restore --full DIR [--operator-token T]`, as `influx backup` /
// `influx restore --full`:
//   backup   writes DIR/manifest.json (authd.v1.BackupManifest as JSON) and every file of the
//            snapshot the server streams; DIR must be new or empty. Needs an operator token.
//   restore  checks the backup is complete, streams it to AdminService.Restore (operator token of
//            the running store), then takes the token the server returned (raw in the backup) or
//            else --operator-token, and proves it works against the restored store (an
//            operator-only call) before reporting success. A hashed backup without
//            --operator-token is refused before anything is sent.
#ifndef AUTHD_CLI_BACKUP_COMMANDS_H_
#define AUTHD_CLI_BACKUP_COMMANDS_H_

#include "cli/command_context.h"

namespace CLI {
class App;
}  // namespace CLI

namespace authd::cli {

void AddBackupCommands(CLI::App* root, CommandContext* ctx);

}  // namespace authd::cli

#endif  // AUTHD_CLI_BACKUP_COMMANDS_H_
