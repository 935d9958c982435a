// Fuzz target: the event log as a start-up replay reads it (storage/record_codec.h: DecodeEvent and
// the record decoders; storage/projector.h: Project). The input is a sequence of stored values in
// protobuf's delimited form (event_frames.h). Each frame is decoded as an event and, if it decodes,
// projected onto the projections left by the frames before it, starting from an empty store; the
// replay stops at the first error, as start-up does. Each frame is also read as a stored
// AuthorizationRecord, the projection value the index loads. Properties (a violation aborts):
//  - DecodeEvent gives OK or kDataLoss, nothing else; an OK event has a known format version and a
//    body, and re-encoding it decodes to the same bytes.
//  - Project gives OK or kDataLoss (reads of an in-memory store cannot fail); after an OK, every
//    authorization record written so far decodes again with a valid digest and grant.
//  - An AuthorizationRecord's GrantOf, DigestOf and IndexKeyOf give OK or kDataLoss.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "fuzz/event_frames.h"
#include "fuzz/fuzz_check.h"
#include "storage/keys.h"
#include "storage/projection_batch.h"
#include "storage/projector.h"
#include "storage/record_codec.h"

namespace authd::fuzz {
namespace {

namespace pb = ::authd::storage::pb;

constexpr auto kOk = absl::StatusCode::kOk;
constexpr auto kDataLoss = absl::StatusCode::kDataLoss;

// A store with nothing in it: the frames' own writes, held by the batch, are all there is.
class EmptyStore final : public storage::ProjectionReader {
 public:
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view, absl::string_view) override {
    return std::optional<std::string>();
  }
};

void CheckStoredAuthorization(absl::string_view bytes) {
  absl::StatusOr<pb::AuthorizationRecord> auth =
      storage::Decode<pb::AuthorizationRecord>(bytes, "authorization");
  AUTHD_FUZZ_CHECK_CODE(auth.status(), kOk, kDataLoss);
  if (!auth.ok()) return;
  AUTHD_FUZZ_CHECK_CODE(storage::GrantOf(*auth).status(), kOk, kDataLoss);
  AUTHD_FUZZ_CHECK_CODE(storage::DigestOf(*auth).status(), kOk, kDataLoss);
  absl::StatusOr<std::string> key = storage::IndexKeyOf(*auth);
  AUTHD_FUZZ_CHECK_CODE(key.status(), kOk, kDataLoss);
  if (key.ok()) AUTHD_FUZZ_CHECK(*key == auth->token_hash());
}

// What the index would load from the projections at the next start must load.
void CheckWrittenAuthorizations(const storage::ProjectionBatch& batch) {
  for (const auto& [key, value] : batch.writes()) {
    if (key.first != storage::kAuthorizationsCf || !value) continue;
    absl::StatusOr<pb::AuthorizationRecord> auth =
        storage::Decode<pb::AuthorizationRecord>(*value, "authorization");
    AUTHD_FUZZ_CHECK(auth.ok());
    AUTHD_FUZZ_CHECK(storage::GrantOf(*auth).ok());
    AUTHD_FUZZ_CHECK(storage::DigestOf(*auth).ok());
  }
}

// Returns false when the replay must stop.
bool ReplayFrame(absl::string_view frame, storage::ProjectionBatch* batch) {
  absl::StatusOr<pb::Event> event = storage::DecodeEvent(frame);
  AUTHD_FUZZ_CHECK_CODE(event.status(), kOk, kDataLoss);
  if (!event.ok()) return false;
  AUTHD_FUZZ_CHECK(event->format_version() >= 1 &&
                   event->format_version() <= storage::kEventFormatVersion);
  AUTHD_FUZZ_CHECK(event->body_case() != pb::Event::BODY_NOT_SET);
  std::string again = event->SerializeAsString();
  absl::StatusOr<pb::Event> reread = storage::DecodeEvent(again);
  AUTHD_FUZZ_CHECK(reread.ok());
  AUTHD_FUZZ_CHECK(reread->SerializeAsString() == again);

  absl::Status projected = storage::Project(*event, batch);
  AUTHD_FUZZ_CHECK_CODE(projected, kOk, kDataLoss);
  if (!projected.ok()) return false;
  CheckWrittenAuthorizations(*batch);
  return true;
}

}  // namespace
}  // namespace authd::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using authd::fuzz::kMaxFrames;
  std::vector<std::string> frames =
      authd::fuzz::SplitFrames(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (frames.size() > kMaxFrames) frames.resize(kMaxFrames);
  authd::fuzz::EmptyStore store;
  authd::storage::ProjectionBatch batch(&store);
  bool replaying = true;
  for (const std::string& frame : frames) {
    authd::fuzz::CheckStoredAuthorization(frame);
    if (replaying) replaying = authd::fuzz::ReplayFrame(frame, &batch);
  }
  return 0;
}
