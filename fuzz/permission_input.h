// PermissionInput: what permission_fuzz.cc checks, `Decode`d from the fuzz input with
// FuzzedDataProvider, and `Encode`, its exact inverse, with which the seed writer (write_seeds.cc)
// builds meaningful seeds. Ids are mostly 0 or one of two fixed orgs, so that equal and foreign
// orgs both come up often. Header-only; value type.
#ifndef AUTHD_FUZZ_PERMISSION_INPUT_H_
#define AUTHD_FUZZ_PERMISSION_INPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "authz/id.h"
#include "authz/permission.h"
#include "authz/resource_type.h"
#include "fuzzer/FuzzedDataProvider.h"

namespace authd::fuzz {

// The two orgs an id selector can name, besides 0 and an arbitrary 64-bit value.
inline constexpr authz::Id kOrgA = 0x0000000000000c01;
inline constexpr authz::Id kOrgB = 0x0000000000000c02;
enum IdSelector : uint8_t { kIdZero = 0, kIdOrgA = 1, kIdOrgB = 2, kIdAny = 3 };

inline constexpr size_t kMaxPermissions = 8;
inline constexpr size_t kMaxWordBytes = 40;

struct PermissionInput {
  authz::Id org = 0;
  std::vector<authz::Permission> permissions;  // at most kMaxPermissions
  uint32_t type_number = 0;
  std::string word;  // at most kMaxWordBytes
  std::string text;

  // Takes, in this order: org, permission count, each permission (action, type, org, id), the
  // type number, the word (all from FuzzedDataProvider), then the rest of the bytes as `text`.
  static PermissionInput Decode(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    PermissionInput out;
    out.org = DecodeId(in);
    out.permissions.resize(in.ConsumeIntegralInRange<size_t>(0, kMaxPermissions));
    for (authz::Permission& p : out.permissions) {
      p.action = in.ConsumeBool() ? authz::Action::kWrite : authz::Action::kRead;
      p.resource.type = static_cast<authz::ResourceType>(
          in.ConsumeIntegralInRange<uint8_t>(0, authz::kResourceTypeCount - 1));
      p.resource.org_id = DecodeId(in);
      p.resource.id = DecodeId(in);
    }
    out.type_number = in.ConsumeIntegral<uint32_t>();
    out.word = in.ConsumeRandomLengthString(kMaxWordBytes);
    out.text = in.ConsumeRemainingBytesAsString();
    return out;
  }

  // FuzzedDataProvider takes integers from the end of the input (the first byte taken is the most
  // significant) and strings from the front (a backslash escapes a backslash; a backslash followed
  // by anything else ends the string). So: [word, escaped][text][integers, last taken first].
  std::string Encode() const {
    std::vector<uint8_t> taken;  // integer bytes, in the order they are taken
    auto put_uint = [&taken](uint64_t v, int bytes) {
      for (int i = bytes - 1; i >= 0; --i) taken.push_back(static_cast<uint8_t>(v >> (8 * i)));
    };
    auto put_id = [&put_uint](authz::Id id) {
      if (id == 0) return put_uint(kIdZero, 1);
      if (id == kOrgA) return put_uint(kIdOrgA, 1);
      if (id == kOrgB) return put_uint(kIdOrgB, 1);
      put_uint(kIdAny, 1);
      put_uint(id, 8);
    };
    put_id(org);
    put_uint(permissions.size(), 1);
    for (const authz::Permission& p : permissions) {
      put_uint(p.action == authz::Action::kWrite ? 1 : 0, 1);
      put_uint(static_cast<uint8_t>(p.resource.type), 1);
      put_id(p.resource.org_id);
      put_id(p.resource.id);
    }
    put_uint(type_number, 4);

    std::string out;
    for (char c : word) {
      if (c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    if (word.size() < kMaxWordBytes) out += "\\;";
    out += text;
    out.append(taken.rbegin(), taken.rend());
    return out;
  }

  friend bool operator==(const PermissionInput& a, const PermissionInput& b) {
    return a.org == b.org && a.permissions == b.permissions && a.type_number == b.type_number &&
           a.word == b.word && a.text == b.text;
  }

 private:
  static authz::Id DecodeId(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<uint8_t>(0, 3)) {
      case kIdZero:
        return 0;
      case kIdOrgA:
        return kOrgA;
      case kIdOrgB:
        return kOrgB;
      default:
        return in.ConsumeIntegral<uint64_t>();
    }
  }
};

}  // namespace authd::fuzz

#endif  // AUTHD_FUZZ_PERMISSION_INPUT_H_
