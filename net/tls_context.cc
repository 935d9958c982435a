#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "absl/strings/str_cat.h"

namespace authd::net {
namespace {

// The newest OpenSSL error, as text (never key material: OpenSSL's messages name files and
// reasons only).
std::string LastSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

// ALPN: pick "h2" (the only protocol behind the front).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static const unsigned char kH2[] = {2, 'h', '2'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kH2, sizeof(kH2), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Create(const TlsFiles& files) {
  std::unique_ptr<TlsContext> t(new TlsContext());
  t->ctx_ = SSL_CTX_new(TLS_server_method());
  if (t->ctx_ == nullptr) return absl::InternalError("TLS: " + LastSslError());
  SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_options(t->ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their 2 x 16 KiB record buffers back; writes may be partial.
  SSL_CTX_set_mode(t->ctx_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(t->ctx_, files.cert_chain.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert: cannot use ", files.cert_chain, ": ", LastSslError()));
  }
  if (SSL_CTX_use_PrivateKey_file(t->ctx_, files.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key: cannot use ", files.private_key, ": ", LastSslError()));
  }
  if (SSL_CTX_check_private_key(t->ctx_) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-key: ", files.private_key, " does not match --tls-cert"));
  }
  if (!files.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(t->ctx_, files.client_ca.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tls-client-ca: cannot use ", files.client_ca, ": ", LastSslError()));
    }
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(t->ctx_, names);
    SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  SSL_CTX_set_alpn_select_cb(t->ctx_, SelectAlpn, nullptr);
  return t;
}

TlsContext::~TlsContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

SSL* TlsContext::NewSession(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return ssl;
}

}  // namespace authd::net
