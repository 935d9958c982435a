#include "services/offline_commands.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "authz/authorization_rules.h"
#include "authz/canned.h"
#include "authz/password.h"
#include "authz/token.h"
#include "base/clock.h"
#include "storage/token_store.h"

namespace authd::services {
namespace {

using authz::FormatId;
namespace spb = ::authd::storage::v1;

std::string DefaultDataDir() {
  if (const char* d = std::getenv("AUTHD_DATA_DIR"); d != nullptr && *d) return d;
  if (const char* h = std::getenv("HOME"); h != nullptr && *h) return absl::StrCat(h, "/.authd/data");
  return "";
}

// Prints rows as aligned columns separated by two spaces.
void PrintTable(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

class Offline {
 public:
  Offline(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  int Fail(const absl::Status& s) {
    err_ << "Error: " << s.message() << "\n";
    return 1;
  }

  // Opens the store without applying a hashing policy, but writing new tokens the way the data
  // dir's last server did (hashed unless it ran with hashing off). With `etcd` (its endpoints
  // set), as an etcd replica: the data dir catches up from etcd first, and writes go to etcd.
  absl::Status Open(const std::string& data_dir,
                    const std::optional<storage::etcd::EtcdEventLogOptions>& etcd,
                    bool rebuild_from_etcd = false) {
    if (data_dir.empty()) return absl::InvalidArgumentError("--data-dir: required ($HOME is not set)");
    storage::TokenStoreOptions options;
    options.data_dir = data_dir;
    options.apply_hashing_policy = false;
    options.etcd = etcd;
    options.rebuild_from_etcd = rebuild_from_etcd && etcd.has_value();
    auto store = storage::TokenStore::Open(options, &clock_, &index_);
    if (!store.ok()) {
      if (absl::IsFailedPrecondition(store.status()) &&
          absl::StrContains(store.status().message(), "locked")) {
        return absl::FailedPreconditionError(
            absl::StrCat(store.status().message(), "; stop authd before using offline commands"));
      }
      return store.status();
    }
    auto mode = (*store)->RecordedHashingMode();
    if (!mode.ok()) return mode.status();
    if (mode->has_value() && !**mode) {
      store->reset();
      options.use_hashed_tokens = false;
      auto reopened = storage::TokenStore::Open(options, &clock_, &index_);
      if (!reopened.ok()) return reopened.status();
      store_ = std::move(*reopened);
    } else {
      store_ = std::move(*store);
    }
    return absl::OkStatus();
  }

  int AuthList() {
    auto auths = store_->ListAuthorizations(0, 0);
    if (!auths.ok()) return Fail(auths.status());
    std::vector<std::vector<std::string>> rows = {
        {"ID", "User Name", "User ID", "Description", "Token", "Permissions"}};
    for (const spb::AuthorizationRecord& a : *auths) {
      auto user = store_->GetUser(a.user_id());
      auto raw = store_->RawToken(a.id());
      std::string token = raw.ok() && raw->has_value() ? **raw : "REDACTED";
      std::vector<std::string> perms;
      if (auto p = storage::PermissionsOf(a); p.ok()) {
        for (const authz::Permission& perm : *p) perms.push_back(authz::PermissionString(perm));
      }
      rows.push_back({FormatId(a.id()), user.ok() ? user->name() : "", FormatId(a.user_id()),
                      a.description(), token, "[" + absl::StrJoin(perms, " ") + "]"});
    }
    PrintTable(out_, rows);
    return 0;
  }

  int CreateOperator(const std::string& username, const std::string& org_name) {
    auto user = store_->FindUserByName(username);
    if (!user.ok()) return Fail(absl::NotFoundError(absl::StrCat("could not find user \"", username, "\"")));
    auto org = store_->FindOrgByName(org_name);
    if (!org.ok()) return Fail(absl::NotFoundError(absl::StrCat("could not find org \"", org_name, "\"")));
    storage::NewAuthorization request;
    request.org_id = org->id();
    request.user_id = user->id();
    request.description = absl::StrCat(username, "'s Recovery Token");
    request.permissions = authz::OperatorPermissions();
    request.token = authz::GenerateToken();
    auto auth = store_->CreateAuthorization(storage::Actor{}, request);
    if (!auth.ok()) return Fail(auth.status());
    out_ << "Created operator token " << FormatId(auth->id()) << " (\"" << request.description
         << "\"), stored " << (store_->options().use_hashed_tokens ? "hashed" : "raw")
         << ". It is shown only now:\n"
         << request.token << "\n";
    return 0;
  }

  int UserList() {
    auto users = store_->ListUsers();
    if (!users.ok()) return Fail(users.status());
    std::vector<std::vector<std::string>> rows = {{"ID", "Name", "Status"}};
    for (const auto& u : *users) {
      rows.push_back({FormatId(u.id()), u.name(), std::string(authz::ActiveStatusName(storage::IsActive(u.status())))});
    }
    PrintTable(out_, rows);
    return 0;
  }

  int UserCreate(const std::string& name, const std::string& password) {
    std::string hash;
    if (!password.empty()) {
      if (auto s = authz::ValidatePassword(password); !s.ok()) return Fail(s);
      auto h = authz::HashPassword(password);
      if (!h.ok()) return Fail(h.status());
      hash = *h;
    }
    auto user = store_->CreateUser(storage::Actor{}, name, hash, true);
    if (!user.ok()) return Fail(user.status());
    out_ << "Created user " << user->name() << " (" << FormatId(user->id()) << ")\n";
    return 0;
  }

  int UserUpdate(const std::string& name, const std::string& id_text, const std::string& password) {
    absl::StatusOr<spb::UserRecord> user = absl::InvalidArgumentError("--username or --id: required");
    if (!id_text.empty()) {
      auto id = authz::ParseId(id_text, "--id");
      if (!id.ok()) return Fail(id.status());
      user = store_->GetUser(*id);
    } else if (!name.empty()) {
      user = store_->FindUserByName(name);
    }
    if (!user.ok()) return Fail(user.status());
    if (auto s = authz::ValidatePassword(password); !s.ok()) return Fail(s);
    auto hash = authz::HashPassword(password);
    if (!hash.ok()) return Fail(hash.status());
    if (auto s = store_->SetPassword(storage::Actor{}, user->id(), *hash); !s.ok()) return Fail(s);
    out_ << "Updated the password of user " << user->name() << " (" << FormatId(user->id()) << ")\n";
    return 0;
  }

  int OrgList() {
    auto orgs = store_->ListOrgs();
    if (!orgs.ok()) return Fail(orgs.status());
    std::vector<std::vector<std::string>> rows = {{"ID", "Name"}};
    for (const auto& o : *orgs) rows.push_back({FormatId(o.id()), o.name()});
    PrintTable(out_, rows);
    return 0;
  }

  int OrgCreate(const std::string& name) {
    auto org = store_->CreateOrg(storage::Actor{}, name, "");
    if (!org.ok()) return Fail(org.status());
    out_ << "Created org " << org->name() << " (" << FormatId(org->id()) << ")\n";
    return 0;
  }

  int Rebuild() {
    if (store_->options().etcd) {
      // Opened with rebuild_from_etcd: the copy was cleared and caught up from etcd already.
      out_ << "Rebuilt this replica's copy from etcd, through position " << store_->LastSequence()
           << ".\n";
      return 0;
    }
    if (auto s = store_->RebuildProjections(); !s.ok()) return Fail(s);
    out_ << "Rebuilt every projection from " << store_->LastSequence() << " events.\n";
    return 0;
  }

  int Verify() {
    auto report = store_->Verify();
    if (!report.ok()) return Fail(report.status());
    out_ << "events: " << report->events << "\ncheckpoint: " << report->checkpoint
         << "\nprojection keys: " << report->projection_keys
         << "\nstate digest: " << report->state_digest << "\n";
    if (report->log_start > 1) out_ << "log starts at: " << report->log_start << "\n";
    for (const std::string& n : report->notes) out_ << "NOTE: " << n << "\n";
    for (const std::string& p : report->problems) out_ << "PROBLEM: " << p << "\n";
    if (!report->problems.empty()) {
      out_ << "FAILED\n";
    } else if (report->log_start > 1) {
      out_ << "OK: the log is continuous from its start, the checkpoint is its end, and every "
              "checksum matches.\n";
    } else {
      out_ << "OK: the log is continuous, the projections equal its replay, and every checksum "
              "matches.\n";
    }
    return report->problems.empty() ? 0 : 1;
  }

  int Downgrade(uint32_t to_schema, bool erase) {
    std::vector<authz::Id> lost;
    // First a dry run, to list what would be lost with names the operator recognises.
    absl::Status s = store_->Downgrade(to_schema, /*erase_hashed_tokens=*/false, &lost);
    if (!lost.empty()) {
      out_ << "Tokens stored only as hashes, which schema " << to_schema << " cannot keep:\n";
      std::vector<std::vector<std::string>> rows = {{"ID", "Description", "User ID", "Org ID"}};
      for (authz::Id id : lost) {
        auto a = store_->GetAuthorization(id);
        if (a.ok()) {
          rows.push_back({FormatId(id), a->description(), FormatId(a->user_id()), FormatId(a->org_id())});
        }
      }
      PrintTable(out_, rows);
      if (!erase) return Fail(s);
      s = store_->Downgrade(to_schema, /*erase_hashed_tokens=*/true, &lost);
      if (s.ok()) out_ << "Erased " << lost.size() << " hashed tokens.\n";
    }
    if (!s.ok()) return Fail(s);
    store_.reset();
    out_ << "Downgraded the store to schema " << to_schema << ".\n";
    return 0;
  }

 private:
  std::ostream& out_;
  std::ostream& err_;
  RealClock clock_;
  authz::TokenIndex index_;
  std::unique_ptr<storage::TokenStore> store_;
};

}  // namespace

bool IsOfflineCommand(int argc, char** argv) {
  if (argc < 2) return false;
  std::string cmd = argv[1];
  return cmd == "recovery" || cmd == "rebuild-projections" || cmd == "verify" || cmd == "downgrade";
}

int RunOfflineCommand(int argc, char** argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"authd offline commands (the server must be stopped)", "authd"};
  app.require_subcommand(1);
  std::string data_dir = DefaultDataDir();
  // An etcd replica's data dir is a copy: writes need the replica's etcd options, the same flags
  // as the server's (the password from AUTHD_ETCD_PASSWORD only).
  std::string etcd_endpoints, etcd_prefix = "/authd/", etcd_user, etcd_ca, etcd_cert, etcd_key;
  auto add_dir = [&](CLI::App* c) {
    c->add_option("--data-dir", data_dir, "the data dir (default: AUTHD_DATA_DIR or $HOME/.authd/data)");
    c->add_option("--etcd-endpoints", etcd_endpoints,
                  "an etcd replica's endpoints (comma-separated URLs): catch up from etcd and "
                  "write through it");
    c->add_option("--etcd-prefix", etcd_prefix, "key prefix of the log in etcd (default /authd/)");
    c->add_option("--etcd-user", etcd_user, "etcd user (password from AUTHD_ETCD_PASSWORD)");
    c->add_option("--etcd-ca-file", etcd_ca, "PEM CA bundle for https:// etcd endpoints");
    c->add_option("--etcd-cert-file", etcd_cert, "PEM client certificate for etcd");
    c->add_option("--etcd-key-file", etcd_key, "PEM private key of --etcd-cert-file");
  };
  Offline offline(out, err);
  std::function<int()> action;

  CLI::App* recovery = app.add_subcommand("recovery", "recover access to a stopped authd");
  recovery->require_subcommand(1);
  CLI::App* auth = recovery->add_subcommand("auth", "tokens");
  auth->require_subcommand(1);
  CLI::App* auth_list = auth->add_subcommand("list", "list every token (hashed ones as REDACTED)");
  add_dir(auth_list);
  auth_list->callback([&] { action = [&] { return offline.AuthList(); }; });
  std::string username, org, password, id;
  CLI::App* create_op = auth->add_subcommand("create-operator", "mint a new operator token");
  add_dir(create_op);
  create_op->add_option("--username", username, "the user who will own the token")->required();
  create_op->add_option("--org", org, "the org the token belongs to")->required();
  create_op->callback([&] { action = [&] { return offline.CreateOperator(username, org); }; });

  CLI::App* user = recovery->add_subcommand("user", "users");
  user->require_subcommand(1);
  CLI::App* user_list = user->add_subcommand("list", "list users");
  add_dir(user_list);
  user_list->callback([&] { action = [&] { return offline.UserList(); }; });
  CLI::App* user_create = user->add_subcommand("create", "create a user");
  add_dir(user_create);
  user_create->add_option("--username", username)->required();
  user_create->add_option("--password", password);
  user_create->callback([&] { action = [&] { return offline.UserCreate(username, password); }; });
  CLI::App* user_update = user->add_subcommand("update", "set a user's password");
  add_dir(user_update);
  auto* by_name = user_update->add_option("--username", username);
  user_update->add_option("--id", id)->excludes(by_name);
  user_update->add_option("--password", password)->required();
  user_update->callback([&] { action = [&] { return offline.UserUpdate(username, id, password); }; });

  CLI::App* orgs = recovery->add_subcommand("org", "orgs");
  orgs->require_subcommand(1);
  CLI::App* org_list = orgs->add_subcommand("list", "list orgs");
  add_dir(org_list);
  org_list->callback([&] { action = [&] { return offline.OrgList(); }; });
  CLI::App* org_create = orgs->add_subcommand("create", "create an org");
  add_dir(org_create);
  org_create->add_option("--org", org)->required();
  org_create->callback([&] { action = [&] { return offline.OrgCreate(org); }; });

  CLI::App* rebuild = app.add_subcommand("rebuild-projections",
                                         "drop every projection and rebuild it from the log");
  add_dir(rebuild);
  rebuild->callback([&] { action = [&] { return offline.Rebuild(); }; });
  CLI::App* verify = app.add_subcommand(
      "verify", "check log continuity, projections == replay of the log, and checksums");
  add_dir(verify);
  verify->callback([&] { action = [&] { return offline.Verify(); }; });
  uint32_t to_schema = 0;
  bool erase = false;
  CLI::App* downgrade = app.add_subcommand("downgrade", "run the down migrations to an older schema");
  add_dir(downgrade);
  downgrade->add_option("--to-schema", to_schema,
                        "target schema (2: before token lifecycle; 1: raw tokens only)")
      ->required();
  downgrade->add_flag("--yes-erase-hashed-tokens", erase,
                      "erase the tokens stored only as hashes (schema 1 cannot keep them)");
  downgrade->callback([&] { action = [&] { return offline.Downgrade(to_schema, erase); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    for (CLI::App* sub = &app; sub != nullptr;) {
      auto subs = sub->get_subcommands();
      sub = subs.empty() ? nullptr : subs.front();
      if (sub != nullptr && sub->get_subcommands().empty()) out << "\n" << sub->help();
    }
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "Error: " << e.what() << "\n";
    return 2;
  }
  if (!action) return 2;
  std::optional<storage::etcd::EtcdEventLogOptions> etcd;
  if (!etcd_endpoints.empty()) {
    etcd.emplace();
    for (absl::string_view e : absl::StrSplit(etcd_endpoints, ',', absl::SkipWhitespace())) {
      etcd->client.endpoints.emplace_back(absl::StripAsciiWhitespace(e));
    }
    etcd->prefix = etcd_prefix;
    etcd->client.user = etcd_user;
    if (const char* p = std::getenv("AUTHD_ETCD_PASSWORD"); p != nullptr) etcd->client.password = p;
    etcd->client.ca_file = etcd_ca;
    etcd->client.cert_file = etcd_cert;
    etcd->client.key_file = etcd_key;
    // A one-shot command: no background snapshots or lag checks.
    etcd->snapshot_every = 0;
    etcd->lag_check_interval = absl::ZeroDuration();
  }
  if (absl::Status s = offline.Open(data_dir, etcd, /*rebuild_from_etcd=*/rebuild->parsed());
      !s.ok()) {
    return offline.Fail(s);
  }
  return action();
}

}  // namespace authd::services
