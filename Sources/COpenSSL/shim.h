// swift-ctrader: OpenSSL 3 shim.
//
// Several OpenSSL APIs are function-like macros over `SSL_ctrl` / `SSL_CTX_ctrl`, which Swift
// cannot import. Each is wrapped here as a `static inline` function prefixed `COpenSSL_`.
#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/// Expands `SSL_set_tlsext_host_name` (a macro over `SSL_ctrl`): sets the SNI host name.
static inline long COpenSSL_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

/// Expands `SSL_CTX_set_min_proto_version` (a macro over `SSL_CTX_ctrl`).
static inline long COpenSSL_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}

/// Expands `SSL_CTX_set_mode` (a macro over `SSL_CTX_ctrl`).
static inline long COpenSSL_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

/// Wraps `ERR_GET_LIB` (an inline function over macros): the library of a packed error code.
static inline int COpenSSL_ERR_GET_LIB(unsigned long code) {
    return ERR_GET_LIB(code);
}

/// Wraps `ERR_GET_REASON` (an inline function over macros): the reason of a packed error code,
/// e.g. `SSL_R_UNEXPECTED_EOF_WHILE_READING`.
static inline int COpenSSL_ERR_GET_REASON(unsigned long code) {
    return ERR_GET_REASON(code);
}

#endif
