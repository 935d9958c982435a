#include "tests/e2e/test_pki.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/e2e/authd_process.h"

namespace authd::e2e {

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status MakeTestPki(const std::string& d) {
  auto openssl = [](std::vector<std::string> args) -> absl::Status {
    args.insert(args.begin(), "/usr/bin/openssl");
    auto r = RunCommand(args, absl::Seconds(60));
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) return absl::InternalError(absl::StrCat("openssl failed: ", r->output));
    return absl::OkStatus();
  };
  std::ofstream(d + "/san.cnf") << "subjectAltName=IP:127.0.0.1\n";
  absl::Status s = openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                            "/CN=authd test CA", "-keyout", d + "/ca.key", "-out", d + "/ca.pem"});
  for (const std::string name : {"server", "client"}) {
    if (!s.ok()) return s;
    s = openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout",
                 d + "/" + name + ".key", "-out", d + "/" + name + ".csr"});
    if (!s.ok()) return s;
    s = openssl({"x509", "-req", "-in", d + "/" + name + ".csr", "-CA", d + "/ca.pem", "-CAkey",
                 d + "/ca.key", "-CAcreateserial", "-days", "2", "-extfile", d + "/san.cnf", "-out",
                 d + "/" + name + ".pem"});
  }
  if (!s.ok()) return s;
  return openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                  "/CN=stranger", "-keyout", d + "/stranger.key", "-out", d + "/stranger.pem"});
}

}  // namespace authd::e2e
