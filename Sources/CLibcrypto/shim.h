#ifndef RMTL_LIBCRYPTO_SHIM_H
#define RMTL_LIBCRYPTO_SHIM_H
#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>

// HMAC-SHA256 of `data` under `key` into `out` (32 bytes). Returns 1 on success.
static inline int rmtl_hmac_sha256(const unsigned char *key, size_t key_len,
                                   const unsigned char *data, size_t data_len, unsigned char *out) {
    unsigned int len = 0;
    // OpenSSL rejects a NULL key pointer even when its length is 0
    static const unsigned char empty = 0;
    return HMAC(EVP_sha256(), key_len ? key : &empty, (int)key_len, data, data_len, out, &len) != NULL && len == 32;
}
#endif
