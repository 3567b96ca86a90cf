/* User programs built from user/ (build/user/NAME, see the Makefile) and
 * embedded whole. Each image starts on a page boundary so that exec can
 * copy its pages with one host page copy each. The table is
 * struct embedded_prog[] (kernel/embedded.h), ended by a zero entry. */

.macro PROG name, file=0, count=0
	.pushsection .rodata.embedded, "a"
	.balign 4096
\name\()_start:
	.ifc \file,0
	.incbin "build/user/\name"
	.else
	.incbin "build/user/\file", 0, \count
	.endif
\name\()_end:
	.popsection
	.pushsection .rodata.embedded_names, "a"
\name\()_name:
	.asciz "\name"
	.popsection
	.quad \name\()_name, \name\()_start, \name\()_end
.endm

	.section .rodata.embedded_table, "a"
	.balign 8
	.globl embedded_progs
embedded_progs:
	PROG hello
	PROG getpid_loop
	PROG malloc_test
	PROG fault
	/* for tests: program headers cut off, exec must say -ENOEXEC */
	PROG badelf, hello, 100
	.quad 0, 0, 0
