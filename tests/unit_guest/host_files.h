/* Host-side files for the guest suites that build an ext2 image from a
 * source tree (test_guest_pcache, test_guest_fault): recognisable bytes
 * and the files holding them. Used outside any test (main), so failures
 * exit instead of asserting. */
#ifndef TESTS_UNIT_GUEST_HOST_FILES_H
#define TESTS_UNIT_GUEST_HOST_FILES_H

#include <stdbool.h>
#include <stdint.h>

/* Byte off of the pattern with this seed: no two nearby bytes alike. */
uint8_t host_pattern_byte(uint32_t seed, uint64_t off);
/* Exits with perror(what) unless ok. */
void host_need(bool ok, const char *what);
/* dir/rel holds n pattern bytes of seed, mode 0644. */
void host_pattern_file(const char *dir, const char *rel, uint64_t n, uint32_t seed);

#endif
