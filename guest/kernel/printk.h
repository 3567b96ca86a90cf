/* printk and panic. */
#ifndef GUEST_KERNEL_PRINTK_H
#define GUEST_KERNEL_PRINTK_H

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
