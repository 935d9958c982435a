#include "storage/backup_files.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace authd::storage {
namespace fs = std::filesystem;
namespace {

absl::StatusOr<std::string> Sha256File(const std::string& path, uint64_t* size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("SHA-256 unavailable");
  }
  std::vector<char> buf(1 << 16);
  *size = 0;
  while (in) {
    in.read(buf.data(), buf.size());
    std::streamsize n = in.gcount();
    if (n > 0) {
      EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
      *size += static_cast<uint64_t>(n);
    }
  }
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), len));
}

}  // namespace

bool ValidBackupFileName(absl::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

absl::StatusOr<std::unique_ptr<BackupFileReader>> BackupFileReader::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<BackupFileReader>(new BackupFileReader(path, fd));
}

BackupFileReader::~BackupFileReader() { close(fd_); }

absl::StatusOr<std::optional<BackupFileReader::Chunk>> BackupFileReader::Next() {
  if (done_) return std::nullopt;
  buf_.resize(kBackupChunkBytes);
  size_t filled = 0;
  while (filled < buf_.size()) {
    const ssize_t n = read(fd_, buf_.data() + filled, buf_.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::UnavailableError(absl::StrCat("cannot read ", path_, ": ", std::strerror(errno)));
    }
    if (n == 0) {
      done_ = true;
      break;
    }
    filled += static_cast<size_t>(n);
  }
  if (filled == 0 && sent_any_) return std::nullopt;
  sent_any_ = true;
  Chunk chunk{offset_, absl::string_view(buf_.data(), filled)};
  offset_ += filled;
  return chunk;
}

absl::StatusOr<std::vector<BackupFile>> DescribeBackupDir(const std::string& dir) {
  std::vector<BackupFile> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) {
      return absl::InternalError(absl::StrCat("unexpected non-file in snapshot: ",
                                              entry.path().filename().string()));
    }
    BackupFile f;
    f.name = entry.path().filename().string();
    auto sha = Sha256File(entry.path().string(), &f.size);
    if (!sha.ok()) return sha.status();
    f.sha256 = *sha;
    out.push_back(std::move(f));
  }
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  std::sort(out.begin(), out.end(),
            [](const BackupFile& a, const BackupFile& b) { return a.name < b.name; });
  return out;
}

absl::Status VerifyBackupDir(const std::string& dir, const std::vector<BackupFile>& expected) {
  auto actual = DescribeBackupDir(dir);
  if (!actual.ok()) return actual.status();
  std::map<std::string, const BackupFile*> have;
  for (const BackupFile& f : *actual) have[f.name] = &f;
  auto corrupt = [](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("backup is corrupt or incomplete: ", why));
  };
  if (expected.empty()) return corrupt("the manifest lists no files");
  for (const BackupFile& want : expected) {
    auto it = have.find(want.name);
    if (it == have.end()) return corrupt(absl::StrCat("file ", want.name, " is missing"));
    if (it->second->size != want.size) {
      return corrupt(absl::StrCat("file ", want.name, " has ", it->second->size,
                                  " bytes, the manifest says ", want.size));
    }
    if (it->second->sha256 != want.sha256) {
      return corrupt(absl::StrCat("file ", want.name, ": checksum mismatch"));
    }
    have.erase(it);
  }
  if (!have.empty()) return corrupt(absl::StrCat("file ", have.begin()->first, " is not in the manifest"));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<BackupReceiver>> BackupReceiver::Create(
    std::string dir, std::vector<BackupFile> expected) {
  std::set<std::string> names;
  for (const BackupFile& f : expected) {
    if (!ValidBackupFileName(f.name)) {
      return absl::InvalidArgumentError("backup manifest: invalid file name");
    }
    if (!names.insert(f.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("backup manifest: file ", f.name, " listed twice"));
    }
  }
  if (expected.empty()) return absl::InvalidArgumentError("backup manifest: lists no files");
  return std::unique_ptr<BackupReceiver>(new BackupReceiver(std::move(dir), std::move(expected)));
}

BackupReceiver::~BackupReceiver() { CloseCurrent().IgnoreError(); }

absl::Status BackupReceiver::CloseCurrent() {
  if (current_fd_ < 0) return absl::OkStatus();
  int rc = fsync(current_fd_);
  rc |= close(current_fd_);
  current_fd_ = -1;
  if (rc != 0) return absl::UnavailableError(absl::StrCat("cannot write ", current_name_));
  done_.push_back(current_name_);
  return absl::OkStatus();
}

absl::Status BackupReceiver::Append(absl::string_view name, uint64_t offset,
                                    absl::string_view data) {
  if (name != current_name_) {
    const BackupFile* want = nullptr;
    for (const BackupFile& f : expected_) {
      if (f.name == name) want = &f;
    }
    if (want == nullptr) {
      return absl::InvalidArgumentError("backup stream: a chunk names a file not in the manifest");
    }
    if (std::find(done_.begin(), done_.end(), want->name) != done_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("backup stream: file ", want->name, " sent twice"));
    }
    AUTHD_RETURN_IF_ERROR(CloseCurrent());
    current_name_ = want->name;
    current_size_ = 0;
    std::string path = dir_ + "/" + current_name_;
    current_fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (current_fd_ < 0) return absl::UnavailableError(absl::StrCat("cannot create ", path));
  }
  if (offset != current_size_) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup stream: file ", current_name_, " chunk at offset ", offset,
                     ", expected ", current_size_));
  }
  uint64_t limit = 0;
  for (const BackupFile& f : expected_) {
    if (f.name == current_name_) limit = f.size;
  }
  if (current_size_ + data.size() > limit) {
    return absl::InvalidArgumentError(
        absl::StrCat("backup stream: file ", current_name_, " is longer than the manifest says"));
  }
  size_t written = 0;
  while (written < data.size()) {
    ssize_t n = write(current_fd_, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == ENOSPC
                 ? absl::ResourceExhaustedError("no space left while receiving the backup")
                 : absl::UnavailableError(absl::StrCat("cannot write ", current_name_));
    }
    written += static_cast<size_t>(n);
  }
  current_size_ += data.size();
  return absl::OkStatus();
}

absl::Status BackupReceiver::Finish() {
  AUTHD_RETURN_IF_ERROR(CloseCurrent());
  return VerifyBackupDir(dir_, expected_);
}

}  // namespace authd::storage
