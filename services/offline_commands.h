// Offline commands of the authd binary, for an operator whose server is stopped:
//
//   authd recovery auth list            [--data-dir D]
//   authd recovery auth create-operator [--data-dir D] --username U --org O
//   authd recovery user list|create|update ...     authd recovery org list|create ...
//   authd rebuild-projections           [--data-dir D]
//   authd verify                        [--data-dir D]
//   authd downgrade                     [--data-dir D] --to-schema N [--yes-erase-hashed-tokens]
//
// They open the data dir themselves, so they refuse, clearly and without changing anything, while
// a server (or another tool) holds it. Writes are ordinary events in the log (actor 0).
// On an etcd replica's data dir they take the server's --etcd-* options (the password from
// AUTHD_ETCD_PASSWORD): the copy catches up from etcd and writes go to etcd, so a stopped
// replica's data dir (or any empty one) serves to recover a lost operator token for every
// replica. Without them, such a data dir is read (verify, listings) and writes are refused.
// `rebuild-projections` with them discards the replica's copy and rebuilds it from etcd.
// --data-dir defaults like the server's: AUTHD_DATA_DIR, then $HOME/.authd/data.
#ifndef AUTHD_SERVICES_OFFLINE_COMMANDS_H_
#define AUTHD_SERVICES_OFFLINE_COMMANDS_H_

#include <ostream>

namespace authd::services {

// True when argv[1] names an offline command.
bool IsOfflineCommand(int argc, char** argv);

// Runs it; returns the process exit code (0 ok, 1 failure, 2 usage). Prints results to `out` and
// `Error: <message>` lines to `err`; never a token except the one create-operator mints.
int RunOfflineCommand(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace authd::services

#endif  // AUTHD_SERVICES_OFFLINE_COMMANDS_H_
