/* SHA-256 (FIPS 180-4) for content-addressed layers and OCI digests.  */
#ifndef ENVRUN_ENV_SHA256_H
#define ENVRUN_ENV_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256
{
  uint32_t h[8];
  uint64_t len;
  uint8_t buf[64];
  size_t fill;
};

void sha256_init (struct sha256 *c);
void sha256_update (struct sha256 *c, const void *data, size_t len);
void sha256_final (struct sha256 *c, uint8_t out[32]);
/* Lower-case hex of the digest; hex holds 65 bytes.  */
void sha256_final_hex (struct sha256 *c, char hex[65]);

#endif
