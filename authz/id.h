// Id: an InfluxDB-style 64-bit identifier, shown as 16 lowercase hex characters, never zero.
// Value type; thread-compatible.
#ifndef AUTHD_AUTHZ_ID_H_
#define AUTHD_AUTHZ_ID_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace authd::authz {

// An identifier; 0 means "not set" wherever an Id is optional.
using Id = uint64_t;

// Parses exactly 16 lowercase hex characters into a non-zero Id.
// Errors: kInvalidArgument "<field>: id must be 16 lowercase hex characters" or "... must not be zero".
absl::StatusOr<Id> ParseId(absl::string_view text, absl::string_view field);

// Like ParseId, but an empty string yields 0 ("not set").
absl::StatusOr<Id> ParseOptionalId(absl::string_view text, absl::string_view field);

// 16 lowercase hex characters; "" for 0.
std::string FormatId(Id id);

// A fresh random Id from the OS CSPRNG, never below 1000 (InfluxDB reserves those).
Id NewRandomId();

}  // namespace authd::authz

#endif  // AUTHD_AUTHZ_ID_H_
