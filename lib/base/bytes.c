/*
 * base/bytes.c - little-endian decoding and zero checks for firmware structures.
 */
#include "base/bytes.h"

uint32_t
ag_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t
ag_le64(const uint8_t *p)
{
	return (uint64_t)ag_le32(p) | (uint64_t)ag_le32(p + 4) << 32;
}

int
ag_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}
