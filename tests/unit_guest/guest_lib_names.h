/* guest/lib/ under guest_* names on the host. The Makefile force-includes this
 * when it compiles guest/lib/ for the host, so the guest's memcpy or snprintf
 * cannot replace libc's for Check and the sanitizers in the test process. A
 * test includes it right before "lib/string.h" and #undefs the names after. */
#ifndef GUEST_LIB_NAMES
#define GUEST_LIB_NAMES
#define memcpy guest_memcpy
#define memset guest_memset
#define memcmp guest_memcmp
#define strlen guest_strlen
#define strcmp guest_strcmp
#define strncmp guest_strncmp
#define vsnprintf guest_vsnprintf
#define snprintf guest_snprintf
#endif
