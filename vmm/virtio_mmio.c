#include "virtio_mmio.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "mv_boot.h"
#include "virtio.h"

void virtio_mmio_init(struct virtio_mmio_dev *t, const struct guest_mem *gm, const char *name,
		      gpa_t base, uint32_t irq, uint32_t device_id, uint64_t features,
		      unsigned nqueues, const void *config, uint32_t config_len,
		      const struct virtio_dev_ops *ops, void *dev)
{
	memset(t, 0, sizeof(*t));
	t->gm = gm;
	t->name = name;
	t->base = base;
	t->irq = irq;
	t->device_id = device_id;
	/* a modern-only device: virtio 1.2 §6 says it MUST offer VERSION_1 */
	t->device_features = features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	t->nqueues = nqueues < VIRTIO_MMIO_MAX_QUEUES ? nqueues : VIRTIO_MMIO_MAX_QUEUES;
	t->config = config;
	t->config_len = config_len;
	t->ops = ops;
	t->dev = dev;
}

void virtio_mmio_fail(struct virtio_mmio_dev *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	t->needs_reset++;
	t->st.status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	/* virtio 1.2 §2.1.2: after DRIVER_OK the driver is told by a
	 * configuration change notification */
	if (t->st.status & VIRTIO_STATUS_DRIVER_OK)
		t->st.interrupt_status |= VIRTIO_MMIO_INT_CONFIG;
	log_info("%s: device needs reset: %s", t->name, t->error);
}

bool virtio_mmio_negotiated(const struct virtio_mmio_dev *t, unsigned bit)
{
	return bit < 64 && (t->st.status & VIRTIO_STATUS_FEATURES_OK) &&
	       (t->st.driver_features & t->device_features & VIRTIO_BIT(bit));
}

static void reset(struct virtio_mmio_dev *t)
{
	/* virtio 1.2 §4.2.2.1: InterruptStatus and every QueueReady cleared */
	memset(&t->st, 0, sizeof(t->st));
	t->error[0] = 0;
	if (t->ops->reset)
		t->ops->reset(t);
}

/* virtio 1.2 §2.2: refuse FEATURES_OK for anything but a subset of what was
 * offered; §6: this device also needs VERSION_1 (it has no legacy mode). */
static bool features_acceptable(const struct virtio_mmio_dev *t)
{
	uint64_t f = t->st.driver_features;
	return !t->st.driver_features_high && !(f & ~t->device_features) &&
	       (f & VIRTIO_BIT(VIRTIO_F_VERSION_1));
}

static void write_status(struct virtio_mmio_dev *t, uint32_t v)
{
	uint32_t old = t->st.status;
	if (v == 0) {
		reset(t);
		return;
	}
	/* DEVICE_NEEDS_RESET belongs to the device: the driver neither sets nor
	 * clears it. Only a reset clears the other bits (virtio 1.2 §2.1.1). */
	v = (v & 0xff & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) |
	    (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if (old & ~v) {
		t->bad_accesses++;
		log_debug("%s: status 0x%x would clear bits of 0x%x: ignored", t->name, v, old);
		return;
	}
	if ((v & ~old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(t)) {
		log_debug("%s: refusing FEATURES_OK for features 0x%" PRIx64 " (offered 0x%" PRIx64
			  ")",
			  t->name, t->st.driver_features, t->device_features);
		v &= ~VIRTIO_STATUS_FEATURES_OK;
	}
	t->st.status = v;
	if ((v & ~old & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK)) {
		t->st.status &= ~VIRTIO_STATUS_DRIVER_OK;
		virtio_mmio_fail(t, "DRIVER_OK without FEATURES_OK");
	}
}

static struct vq_state *sel_queue(struct virtio_mmio_dev *t)
{
	return t->st.queue_sel < t->nqueues ? &t->st.queue[t->st.queue_sel] : NULL;
}

static void set_half(gpa_t *addr, bool high, uint32_t v)
{
	if (high)
		*addr = (*addr & 0xffffffffull) | ((uint64_t)v << 32);
	else
		*addr = (*addr & ~0xffffffffull) | v;
}

static void queue_ready(struct virtio_mmio_dev *t, struct vq_state *q, uint32_t v)
{
	if (v == 0) {
		q->ready = false;
		return;
	}
	if (q->ready)
		return;
	int r = vq_validate(t->gm, q);
	if (r < 0) {
		virtio_mmio_fail(t, "queue %u: num %u desc 0x%" PRIx64 " driver 0x%" PRIx64
				 " device 0x%" PRIx64 ": %s", t->st.queue_sel, q->num, q->desc,
				 q->driver, q->device, vq_strerror(r));
		return;
	}
	/* the driver has just allocated and zeroed the rings (virtio 1.2 §4.2.3.2) */
	q->last_avail = q->used_idx = 0;
	q->ready = true;
}

static void queue_notify(struct virtio_mmio_dev *t, uint32_t qi)
{
	uint32_t s = t->st.status;
	/* virtio 1.2 §2.1.2: no buffers are used before DRIVER_OK */
	if (!(s & VIRTIO_STATUS_DRIVER_OK) || (s & VIRTIO_STATUS_DEVICE_NEEDS_RESET) ||
	    qi >= t->nqueues || !t->st.queue[qi].ready) {
		t->ignored_notifies++;
		log_debug("%s: notify of queue %u ignored (status 0x%x)", t->name, qi, s);
		return;
	}
	t->notifies++;
	if (t->ops->notify(t, qi) > 0)
		t->st.interrupt_status |= VIRTIO_MMIO_INT_VRING;
}

static uint32_t read_reg(struct virtio_mmio_dev *t, uint64_t off)
{
	struct vq_state *q = sel_queue(t);
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_MODERN;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (t->st.device_features_sel > 1)
			return 0;
		return (uint32_t)(t->device_features >> (32 * t->st.device_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? VQ_MAX_SIZE : 0;   /* 0: no such queue (§4.2.2) */
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return t->st.interrupt_status;
	case VIRTIO_MMIO_STATUS:
		return t->st.status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffffu;   /* no shared memory regions: length and base -1 */
	case VIRTIO_MMIO_QUEUE_RESET:
		return 0;             /* VIRTIO_F_RING_RESET is not offered */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->st.config_generation;
	default:
		t->bad_accesses++;    /* write-only or undefined register */
		return 0;
	}
}

static void write_reg(struct virtio_mmio_dev *t, uint64_t off, uint32_t v)
{
	struct vq_state *q = sel_queue(t);
	/* virtio 1.2 §4.2.2.2: queue parameters change only while not ready */
	struct vq_state *qset = q && !q->ready ? q : NULL;
	bool features_open = !(t->st.status & VIRTIO_STATUS_FEATURES_OK);

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->st.device_features_sel = v;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (!features_open)
			break;
		if (t->st.driver_features_sel > 1) {
			t->st.driver_features_high |= v != 0;
			return;
		}
		if (t->st.driver_features_sel)
			t->st.driver_features =
			    (t->st.driver_features & 0xffffffffull) | (uint64_t)v << 32;
		else
			t->st.driver_features = (t->st.driver_features & ~0xffffffffull) | v;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->st.driver_features_sel = v;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->st.queue_sel = v;
		return;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (!qset)
			break;
		qset->num = v;       /* checked against QueueNumMax at QueueReady */
		return;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!q)
			break;
		queue_ready(t, q, v);
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		queue_notify(t, v);   /* no NOTIFICATION_DATA: the value is the index */
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		t->st.interrupt_status &= ~v;
		return;
	case VIRTIO_MMIO_STATUS:
		write_status(t, v);
		return;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (!qset)
			break;
		set_half(&qset->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		return;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		if (!qset)
			break;
		set_half(&qset->driver, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, v);
		return;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		if (!qset)
			break;
		set_half(&qset->device, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, v);
		return;
	case VIRTIO_MMIO_SHM_SEL:
	case VIRTIO_MMIO_QUEUE_RESET:
		return;              /* nothing to select, RING_RESET not offered */
	default:
		break;
	}
	t->bad_accesses++;
	log_debug("%s: write 0x%x to register 0x%03" PRIx64 " ignored", t->name, v, off);
}

static void mmio_read(struct virtio_mmio_dev *t, uint64_t off, uint8_t *data, int size)
{
	memset(data, 0, size);
	if (off >= VIRTIO_MMIO_CONFIG) {
		/* config space: any width; bytes past the device's layout read 0 */
		uint64_t c = off - VIRTIO_MMIO_CONFIG;
		if (c < t->config_len) {
			uint64_t n =
			    t->config_len - c < (uint64_t)size ? t->config_len - c : (uint64_t)size;
			memcpy(data, (const uint8_t *)t->config + c, n);
		}
		return;
	}
	/* virtio 1.2 §4.2.2.2: registers are 32-bit wide and aligned */
	if (size != 4 || (off & 3)) {
		t->bad_accesses++;
		return;
	}
	uint32_t v = read_reg(t, off);
	memcpy(data, &v, 4);
}

static void mmio_write(struct virtio_mmio_dev *t, uint64_t off, const uint8_t *data, int size)
{
	if (off >= VIRTIO_MMIO_CONFIG || size != 4 || (off & 3)) {
		/* the config fields this device offers are all read-only */
		t->bad_accesses++;
		log_debug("%s: %d-byte write at 0x%03" PRIx64 " ignored", t->name, size, off);
		return;
	}
	uint32_t v;
	memcpy(&v, data, 4);
	write_reg(t, off, v);
}

void virtio_mmio_read(struct virtio_mmio_dev *t, uint64_t off, uint8_t *data, int size)
{
	if (t->lock)
		pthread_mutex_lock(t->lock);
	mmio_read(t, off, data, size);
	if (t->lock)
		pthread_mutex_unlock(t->lock);
}

void virtio_mmio_write(struct virtio_mmio_dev *t, uint64_t off, const uint8_t *data, int size)
{
	if (t->lock)
		pthread_mutex_lock(t->lock);
	mmio_write(t, off, data, size);
	if (t->lock)
		pthread_mutex_unlock(t->lock);
}

static void bus_read(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, int size)
{
	(void)vm;
	virtio_mmio_read(opaque, off, data, size);
}

static void bus_write(struct vm *vm, void *opaque, uint64_t off, const uint8_t *data, int size)
{
	(void)vm;
	virtio_mmio_write(opaque, off, data, size);
}

int virtio_mmio_register(struct virtio_mmio_dev *t, struct mmio_bus *bus)
{
	struct mmio_dev d = { .name = t->name, .base = t->base, .len = MV_VIRTIO_MMIO_SIZE,
			      .read = bus_read, .write = bus_write, .opaque = t };
	return mmio_bus_register(bus, &d);
}

int virtio_mmio_cmdline_append(char *buf, size_t size, gpa_t base, uint32_t irq)
{
	size_t used = strnlen(buf, size);
	if (used == size)
		return -1;
	int n =
	    snprintf(buf + used, size - used, "%svirtio_mmio.device=%lluK@0x%" PRIx64 ":%u",
		     used ? " " : "", (unsigned long long)(MV_VIRTIO_MMIO_SIZE >> 10), base, irq);
	if (n < 0 || (size_t)n >= size - used) {
		buf[used] = 0;
		return -1;
	}
	return 0;
}
