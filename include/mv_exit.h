/* Exit statuses of the mapvisor process and of the guest kernel.
 *
 * The guest's own status (a byte written to MV_PORT_EXIT, or MV_HC_EXIT) passes
 * through unchanged, like a container runtime passes its program's status.
 * mapvisor reserves three values for itself; a guest that exits with one of them
 * cannot be told apart by the status alone, and the report's "exit.source" says
 * who ended the run.
 *
 *   status | meaning
 *   -------+------------------------------------------------------------
 *   0..255 | the guest's status (guest kernel, and later its init program)
 *   120    | usage error: bad command line, nothing was started
 *   121    | monitor error: host resources, KVM, files, bad kernel image
 *   122    | guest crash: triple fault, shutdown, KVM internal error,
 *          | failed entry, unhandled exit, or the guest kernel's own panic
 *
 * Under QEMU's isa-debug-exit the process status is (v << 1) | 1.
 */
#ifndef MAPVISOR_MV_EXIT_H
#define MAPVISOR_MV_EXIT_H

#define MV_EXIT_OK           0
#define MV_EXIT_USAGE        120
#define MV_EXIT_MONITOR      121
#define MV_EXIT_GUEST_CRASH  122

/* I/O port the guest writes its status byte to; the same port QEMU's
 * isa-debug-exit device listens on (-device isa-debug-exit,iobase=0xf4). */
#define MV_PORT_EXIT         0xf4

#endif
