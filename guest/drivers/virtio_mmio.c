/* virtio-mmio transport: discovery from the command line, window mapping,
 * the device status handshake (virtio 1.2 §3.1.1, §4.2.3). Runs once per
 * device after the boot mark; each register access here is a VM exit, so
 * the handshake does only what the specification requires. */
#include "drivers/virtio_mmio.h"

#include "arch/x86/cpu.h"
#include "drivers/virtio_blk.h"
#include "kernel/printk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "mm/pgtable.h"
#include "x86.h"

#define VMMIO_KEY        "virtio_mmio.device="
#define VMMIO_KEY_LEN    (sizeof(VMMIO_KEY) - 1)
#define VMMIO_WORD_MAX   64       /* of a malformed word, for the message */
#define VMMIO_RESET_POLL 1000     /* status reads after a reset, config re-reads */

/* Drivers by device ID (virtio 1.2 §5). */
static int (*const vmmio_drivers[])(struct vmmio_dev *d) = {
	[VIRTIO_ID_BLOCK] = vblk_probe,
};

#define VMMIO_NR_DRIVERS (sizeof(vmmio_drivers) / sizeof(vmmio_drivers[0]))

static struct vmmio_dev vmmio_devs[VMMIO_DEVS_MAX];

static uint32_t vmmio_read(const struct vmmio_dev *d, unsigned off)
{
	return mmio_read32(d->regs + off);
}

static void vmmio_write(struct vmmio_dev *d, unsigned off, uint32_t v)
{
	mmio_write32(d->regs + off, v);
}

/* Status bits only accumulate until a reset (virtio 1.2 §2.1). */
static void vmmio_set_status(struct vmmio_dev *d, uint32_t bit)
{
	d->status |= bit;
	vmmio_write(d, VIRTIO_MMIO_STATUS, d->status);
}

/* A number as Linux's memparse() reads it: 0x for hex, else decimal, and a
 * K/M/G suffix when allowed. NULL when there are no digits or it overflows. */
static const char *vmmio_number(const char *p, uint64_t *out, bool suffix)
{
	uint64_t v = 0, base = 10;
	const char *start;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (start = p;; p++) {
		unsigned c = (unsigned char)*p, digit;
		if (c >= '0' && c <= '9')
			digit = c - '0';
		else if (base == 16 && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			digit = (c | 0x20) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - digit) / base)
			return NULL;
		v = v * base + digit;
	}
	if (p == start)
		return NULL;
	if (suffix) {
		unsigned shift = *p == 'K' || *p == 'k' ? 10
			       : *p == 'M' || *p == 'm' ? 20
			       : *p == 'G' || *p == 'g' ? 30
						    : 0;
		if (shift) {
			if (v > UINT64_MAX >> shift)
				return NULL;
			v <<= shift;
			p++;
		}
	}
	*out = v;
	return p;
}

/* SIZE@BASE:IRQ[:ID] up to the end of the word; false if malformed. */
static bool vmmio_parse_word(const char *p, struct vmmio_window *w)
{
	uint64_t irq, id;

	p = vmmio_number(p, &w->size, true);
	if (!p || *p != '@')
		return false;
	p = vmmio_number(p + 1, &w->base, true);
	if (!p || *p != ':')
		return false;
	p = vmmio_number(p + 1, &irq, false);
	if (p && *p == ':')
		p = vmmio_number(p + 1, &id, false);
	if (!p || (*p && *p != ' ') || irq > UINT32_MAX || !w->size)
		return false;
	w->irq = (uint32_t)irq;
	return true;
}

static void vmmio_bad_word(const char *p)
{
	char word[VMMIO_WORD_MAX];
	size_t i = 0;

	while (p[i] && p[i] != ' ' && i + 1 < sizeof(word)) {
		word[i] = p[i];
		i++;
	}
	word[i] = '\0';
	printk("virtio_mmio: cannot parse '%s', ignored\n", word);
}

int vmmio_parse(const char *p, struct vmmio_window *w, int max, bool verbose)
{
	int n = 0;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, VMMIO_KEY, VMMIO_KEY_LEN)) {
			struct vmmio_window win;
			if (!vmmio_parse_word(p + VMMIO_KEY_LEN, &win)) {
				if (verbose)
					vmmio_bad_word(p);
			} else if (n < max) {
				w[n++] = win;
			} else if (verbose) {
				printk("virtio_mmio: more than %d devices, %lx ignored\n", max, win.base);
			}
		}
		while (*p && *p != ' ')
			p++;
	}
	return n;
}

/* Maps the pages of [base, base + size) at VMMIO_VA_BASE + pa. A page that
 * is already there holds an earlier window: only this file maps the slot. */
static int vmmio_map(uint64_t base, uint64_t size)
{
	if (size > VMMIO_SIZE_MAX || base >= VMMIO_PA_END || size > VMMIO_PA_END - base)
		return -EINVAL;
	for (uint64_t pa = base & ~(X86_PAGE_SIZE - 1); pa < base + size; pa += X86_PAGE_SIZE) {
		if (page_is_usable(pa))
			return -EINVAL; /* a window over RAM is a bad command line */
		int err = pgtable_map(VMMIO_VA_BASE + pa, pa,
				      X86_PTE_W | X86_PTE_PCD | X86_PTE_PWT | X86_PTE_NX);
		if (err && err != -EEXIST)
			return err;
	}
	return 0;
}

/* Maps the window and checks what sits there (virtio 1.2 §4.2.3.1.1). */
static int vmmio_open(struct vmmio_dev *d, const struct vmmio_window *w, unsigned index)
{
	int err = vmmio_map(w->base, w->size);

	if (err) {
		printk("virtio_mmio: %lx+%lx cannot be mapped: error %d\n", w->base, w->size, err);
		return err;
	}
	d->regs = (volatile uint8_t *)(VMMIO_VA_BASE + w->base);
	d->base = w->base;
	d->size = (uint32_t)w->size;
	d->irq = w->irq;
	d->index = index;
	d->status = 0;
	if (d->size < VIRTIO_MMIO_CONFIG) {
		printk("virtio_mmio: %lx: window of %u bytes is too small\n", d->base, d->size);
		return -EINVAL;
	}
	uint32_t magic = vmmio_read(d, VIRTIO_MMIO_MAGIC_VALUE);
	if (magic != VIRTIO_MMIO_MAGIC) {
		printk("virtio_mmio: %lx: bad magic %x\n", d->base, magic);
		return -ENODEV;
	}
	uint32_t version = vmmio_read(d, VIRTIO_MMIO_VERSION);
	if (version != VIRTIO_MMIO_VERSION_MODERN) {
		/* Version 1 is the legacy layout (page-frame queue address,
		 * guest page size): a different driver, not written. */
		printk("virtio_mmio: %lx: version %u not supported (%s), ignored\n", d->base,
		       version, version == 1 ? "legacy device" : "unknown");
		return -ENODEV;
	}
	d->device_id = vmmio_read(d, VIRTIO_MMIO_DEVICE_ID);
	return 0;
}

int vmmio_negotiate(struct vmmio_dev *d, uint64_t wanted, uint64_t required, uint64_t *features)
{
	/* Reset, and wait until it is done (virtio 1.2 §2.4.2). */
	d->status = 0;
	vmmio_write(d, VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; vmmio_read(d, VIRTIO_MMIO_STATUS); i++) {
		if (i == VMMIO_RESET_POLL)
			return -EIO;
		cpu_relax();
	}
	vmmio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	vmmio_set_status(d, VIRTIO_STATUS_DRIVER);

	vmmio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t offer = vmmio_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	vmmio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offer |= (uint64_t)vmmio_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	if ((offer & required) != required) {
		printk("virtio_mmio: %lx: features %lx lack required %lx\n", d->base, offer, required);
		return -ENODEV;
	}
	uint64_t accept = offer & wanted;
	vmmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vmmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accept);
	vmmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vmmio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));

	/* The device may refuse the subset: it says so by leaving the bit
	 * clear (virtio 1.2 §3.1.1 step 6). */
	vmmio_set_status(d, VIRTIO_STATUS_FEATURES_OK);
	if (!(vmmio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		printk("virtio_mmio: %lx: features %lx refused\n", d->base, accept);
		return -ENODEV;
	}
	*features = accept;
	return 0;
}

uint32_t vmmio_queue_max(struct vmmio_dev *d, unsigned q)
{
	vmmio_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
	return vmmio_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
}

int vmmio_queue_enable(struct vmmio_dev *d, unsigned q, unsigned size, uint64_t desc_pa,
		       uint64_t avail_pa, uint64_t used_pa)
{
	vmmio_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
	vmmio_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
	vmmio_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc_pa);
	vmmio_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc_pa >> 32));
	vmmio_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail_pa);
	vmmio_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail_pa >> 32));
	vmmio_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used_pa);
	vmmio_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used_pa >> 32));
	vmmio_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	/* A layout the device rejects leaves QueueReady at 0. */
	return vmmio_read(d, VIRTIO_MMIO_QUEUE_READY) == 1 ? 0 : -EIO;
}

int vmmio_driver_ok(struct vmmio_dev *d)
{
	vmmio_set_status(d, VIRTIO_STATUS_DRIVER_OK);
	uint32_t st = vmmio_read(d, VIRTIO_MMIO_STATUS);
	return st & VIRTIO_STATUS_DEVICE_NEEDS_RESET || !(st & VIRTIO_STATUS_DRIVER_OK) ? -EIO : 0;
}

void vmmio_fail(struct vmmio_dev *d)
{
	vmmio_set_status(d, VIRTIO_STATUS_FAILED);
}

uint32_t vmmio_config32(const struct vmmio_dev *d, unsigned off)
{
	return vmmio_read(d, VIRTIO_MMIO_CONFIG + off);
}

uint64_t vmmio_config64(const struct vmmio_dev *d, unsigned off)
{
	uint32_t gen, lo, hi;
	int tries = 0;

	/* A device whose generation never settles gets a torn value rather
	 * than a hung kernel. */
	do {
		gen = vmmio_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = vmmio_config32(d, off);
		hi = vmmio_config32(d, off + 4);
	} while (gen != vmmio_read(d, VIRTIO_MMIO_CONFIG_GENERATION) && ++tries < VMMIO_RESET_POLL);
	return (uint64_t)hi << 32 | lo;
}

int vmmio_probe_all(const char *cmdline, bool verbose)
{
	struct vmmio_window w[VMMIO_DEVS_MAX];
	int n = vmmio_parse(cmdline, w, VMMIO_DEVS_MAX, true), taken = 0;

	for (int i = 0; i < n; i++) {
		struct vmmio_dev *d = &vmmio_devs[i];
		if (vmmio_open(d, &w[i], (unsigned)i))
			continue;
		d->verbose = verbose;
		if (d->device_id >= VMMIO_NR_DRIVERS || !vmmio_drivers[d->device_id]) {
			/* ID 0 is an empty slot (virtio 1.2 §4.2.3.1.1). */
			if (d->device_id && verbose)
				printk("virtio_mmio: %lx: no driver for device %u\n", d->base,
				       d->device_id);
			continue;
		}
		int err = vmmio_drivers[d->device_id](d);
		if (err) {
			printk("virtio_mmio: %lx: device %u: error %d\n", d->base, d->device_id, err);
			vmmio_fail(d);
			continue;
		}
		taken++;
	}
	return taken;
}
