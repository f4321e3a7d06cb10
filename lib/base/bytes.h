/*
 * base/bytes.h - reading little-endian integers out of firmware structures (HCL
 * and SEV-SNP reports, cert tables) and checking reserved bytes.  The
 * callers check bounds; these only decode.
 */
#ifndef AG_BYTES_H
#define AG_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* Little-endian 32-bit value at p. */
uint32_t ag_le32(const uint8_t *p);

/* Little-endian 64-bit value at p. */
uint64_t ag_le64(const uint8_t *p);

/* Nonzero when all n bytes at p are zero (time independent of the contents). */
int ag_all_zero(const uint8_t *p, size_t n);

#endif
