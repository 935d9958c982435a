// RangeEndForPrefix: the `range_end` that makes an etcd range or watch cover every key starting
// with a prefix (clientv3's GetPrefixRangeEnd). Header-only; pure.
#ifndef AUTHD_STORAGE_ETCD_RANGE_END_H_
#define AUTHD_STORAGE_ETCD_RANGE_END_H_

#include <string>

namespace authd::storage::etcd {

// The smallest key greater than every key with prefix `prefix`: the prefix with its last byte
// below 0xff incremented (trailing 0xff bytes dropped). An empty prefix, or one of only 0xff
// bytes, has no such key: etcd's "\0" then means "to the end of the keyspace".
inline std::string RangeEndForPrefix(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

}  // namespace authd::storage::etcd

#endif  // AUTHD_STORAGE_ETCD_RANGE_END_H_
