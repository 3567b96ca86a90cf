/* Starting the first user program. */
#ifndef GUEST_KERNEL_EXEC_H
#define GUEST_KERNEL_EXEC_H

#define EXEC_ARGS_MAX 32
#define EXEC_ENV_MAX  32

/* Loads path (a file on the root file system, or an embedded program:
 * "/embedded/NAME", or NAME or a path the disk does not have) with
 * argv[0] = path and the given further arguments, and enters it.
 * Returns only on failure (-errno). */
/* Start the first process: path with argv[1..] = args and environment env
 * (NAME=VALUE strings). Returns only on failure (-errno). */
int exec_init(const char *path, const char *const *args, int nargs, const char *const *env,
	      int nenv);

#endif
