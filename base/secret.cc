#include "base/secret.h"

#include <openssl/crypto.h>

namespace authd {

void WipeBytes(void* data, size_t size) {
  if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

void WipeString(std::string* s) {
  // capacity() bytes plus the terminator are all owned by the string (inline or on the heap).
  WipeBytes(s->data(), s->capacity());
  s->clear();
}

}  // namespace authd
