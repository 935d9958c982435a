#include "base/secret.h"

#include <openssl/crypto.h>

namespace authd {

void WipeBytes(void* data, size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

void WipeString(std::string* s) {
  // The string owns capacity() bytes (inline or on the heap) plus a terminator, which holds no
  // secret.
  WipeBytes(s->data(), s->capacity());
  s->clear();
}

}  // namespace authd
