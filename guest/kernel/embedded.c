/* Lookup in the table kernel/embedded.S builds. */
#include "kernel/embedded.h"
#include "lib/string.h"

extern const struct embedded_prog embedded_progs[];

const struct embedded_prog *embedded_find(const char *path)
{
	size_t plen = strlen(EMBEDDED_PREFIX);

	if (!strncmp(path, EMBEDDED_PREFIX, plen))
		path += plen;
	for (const struct embedded_prog *p = embedded_progs; p->name; p++)
		if (!strcmp(p->name, path))
			return p;
	return 0;
}
