/* virtio-blk on virtio-mmio, driven the way a guest driver drives it: register
 * writes through virtio_mmio_read/write, requests built in guest RAM, the
 * image checked on the host. */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_mem.h"
#include "mv_boot.h"
#include "unit.h"
#include "virtio.h"
#include "blk_dev.h"

#define MiB     (1ull << 20)
#define RAM     (16 * MiB)
#define QSIZE   8u
#define DESC    0x10000ull
#define AVAIL   0x11000ull
#define USED    0x12000ull
#define HDR     0x20000ull   /* request headers, 0x100 apart */
#define STATUS  0x30000ull   /* status bytes, 0x10 apart */
#define DATA    0x100000ull
#define SECTORS 64ull        /* image size: 32 KiB */
#define SECT    512u

#define F(bit) VIRTIO_BIT(bit)
#define DRIVER_FEATURES                                                              \
	(F(VIRTIO_F_VERSION_1) | F(VIRTIO_BLK_F_SEG_MAX) | F(VIRTIO_BLK_F_BLK_SIZE) |  \
	 F(VIRTIO_BLK_F_FLUSH))
#define S_ALL (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)

static struct guest_mem gm;
static struct virtio_blk b;
static char img[64];
static uint16_t next_desc;

/* ---- the image and RAM ---- */

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9) + 3);
}

static void make_image(uint64_t size)
{
	int fd = unit_tmpfile(img);
	static uint8_t buf[SECTORS * SECT];
	ck_assert_uint_le(size, sizeof(buf));
	for (uint64_t i = 0; i < size; i++)
		buf[i] = pattern(i);
	ck_assert_int_eq(pwrite(fd, buf, size, 0), (ssize_t)size);
	close(fd);
}

static bool image_has_pattern(uint64_t off, uint64_t len)
{
	uint8_t buf[4096];
	int fd = open(img, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_le(len, sizeof(buf));
	ck_assert_int_eq(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
	for (uint64_t i = 0; i < len; i++)
		if (buf[i] != pattern(off + i))
			return false;
	return true;
}

static void ram_init(void)
{
	struct gm_config c = { .size = RAM };
	struct mv_err e = { "" };
	ck_assert_msg(gm_init(&gm, &c, &e) == 0, "gm_init: %s", e.msg);
}

static uint8_t *ram(gpa_t gpa, uint64_t len)
{
	uint8_t *p = gm_ptr(&gm, gpa, len);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void open_disk(bool ro)
{
	struct mv_err e = { "" };
	ram_init();
	make_image(SECTORS * SECT);
	ck_assert_msg(virtio_blk_init(&b, &gm, img, ro, 0, MV_GPA_VIRTIO_MMIO, MV_VIRTIO_IRQ_BASE,
				      &e) == 0,
		      "virtio_blk_init: %s", e.msg);
	next_desc = 0;
}

static void finish(void)
{
	virtio_blk_close(&b);
	gm_destroy(&gm);
	unlink(img);
}

/* ---- registers ---- */

static uint32_t rd(uint64_t off)
{
	uint32_t v;
	virtio_mmio_read(&b.mmio, off, (uint8_t *)&v, 4);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_write(&b.mmio, off, (const uint8_t *)&v, 4);
}

static uint64_t device_features(void)
{
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t hi = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return hi << 32 | rd(VIRTIO_MMIO_DEVICE_FEATURES);
}

/* virtio 1.2 §3.1.1 steps 1-6; returns the status read back. */
static uint32_t negotiate(uint64_t features)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(VIRTIO_MMIO_STATUS, S_ALL);
	return rd(VIRTIO_MMIO_STATUS);
}

static void setup_queue(uint32_t num, gpa_t desc, gpa_t avail, gpa_t used)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, num);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

static void start_with(bool ro, uint64_t features)
{
	open_disk(ro);
	ck_assert_uint_eq(negotiate(features), S_ALL);
	setup_queue(QSIZE, DESC, AVAIL, USED);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_STATUS, S_ALL | VIRTIO_STATUS_DRIVER_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), S_ALL | VIRTIO_STATUS_DRIVER_OK);
}

static void start(bool ro)
{
	start_with(ro, DRIVER_FEATURES | (ro ? F(VIRTIO_BLK_F_RO) : 0));
}

static bool needs_reset(void)
{
	return rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
}

/* ---- requests ---- */

struct seg {
	gpa_t gpa;
	uint32_t len;
	bool write;
};

static struct virtq_used *used_ring(void)
{
	return (struct virtq_used *)ram(USED, VIRTQ_USED_BYTES(QSIZE));
}

/* Put a chain in the descriptor table and the available ring (no notify). */
static uint16_t offer(const struct seg *s, int n)
{
	struct virtq_desc *d = (struct virtq_desc *)ram(DESC, VIRTQ_DESC_BYTES(QSIZE));
	struct virtq_avail *a = (struct virtq_avail *)ram(AVAIL, VIRTQ_AVAIL_BYTES(QSIZE));
	uint16_t head = next_desc % QSIZE;
	for (int i = 0; i < n; i++) {
		uint16_t k = next_desc++ % QSIZE;
		d[k] =
		    (struct virtq_desc){.addr = s[i].gpa,
					.len = s[i].len,
					.flags = (uint16_t)((s[i].write ? VIRTQ_DESC_F_WRITE : 0) |
							    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
					.next = (uint16_t)(next_desc % QSIZE)};
	}
	a->ring[a->idx % QSIZE] = head;
	a->idx++;
	return head;
}

static void notify(void)
{
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static struct virtq_used_elem last_used(void)
{
	struct virtq_used *u = used_ring();
	ck_assert_uint_gt(u->idx, 0);
	return u->ring[(uint16_t)(u->idx - 1) % QSIZE];
}

/* Header at HDR + 0x100 * slot, status at STATUS + 0x10 * slot. */
static void put_hdr(int slot, uint32_t type, uint64_t sector)
{
	struct virtio_blk_req_hdr h = { .type = type, .sector = sector };
	memcpy(ram(HDR + 0x100ull * slot, sizeof(h)), &h, sizeof(h));
	*ram(STATUS + 0x10ull * slot, 1) = 0xee;
}

static uint8_t status_of(int slot)
{
	return *ram(STATUS + 0x10ull * slot, 1);
}

/* One request the usual way: header, data (if len), status; one notify.
 * Returns the status byte; the used element is checked for the head. */
static uint8_t request(uint32_t type, uint64_t sector, gpa_t data, uint32_t len, bool data_write)
{
	struct seg s[3];
	int n = 0;
	uint16_t before = used_ring()->idx;
	put_hdr(0, type, sector);
	s[n++] = (struct seg){ HDR, 16, false };
	if (len)
		s[n++] = (struct seg){ data, len, data_write };
	s[n++] = (struct seg){ STATUS, 1, true };
	uint16_t head = offer(s, n);
	notify();
	ck_assert_uint_eq(used_ring()->idx, (uint16_t)(before + 1));
	ck_assert_uint_eq(last_used().id, head);
	return status_of(0);
}

static uint8_t read_sectors(uint64_t sector, gpa_t data, uint32_t len)
{
	return request(VIRTIO_BLK_T_IN, sector, data, len, true);
}

static uint8_t write_sectors(uint64_t sector, gpa_t data, uint32_t len)
{
	return request(VIRTIO_BLK_T_OUT, sector, data, len, false);
}

/* ---- transport ---- */

START_TEST(mmio_identifies_as_modern_block_device)
{
	open_disk(false);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_VERSION), 2);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffffu);   /* no SHM region */
	finish();
}
END_TEST

START_TEST(mmio_device_features_read_in_two_halves)
{
	open_disk(false);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint32_t lo = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint32_t hi = rd(VIRTIO_MMIO_DEVICE_FEATURES);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
	ck_assert_uint_eq(lo, (1u << VIRTIO_BLK_F_SEG_MAX) | (1u << VIRTIO_BLK_F_BLK_SIZE) |
				      (1u << VIRTIO_BLK_F_FLUSH) | (1u << VIRTIO_BLK_F_MQ));
	ck_assert_uint_eq(hi, 1u << (VIRTIO_F_VERSION_1 - 32));   /* and no INDIRECT, EVENT_IDX */
	finish();
}
END_TEST

START_TEST(mmio_read_only_disk_offers_ro)
{
	open_disk(true);
	ck_assert(device_features() & F(VIRTIO_BLK_F_RO));
	finish();
	open_disk(false);
	ck_assert(!(device_features() & F(VIRTIO_BLK_F_RO)));
	finish();
}
END_TEST

START_TEST(mmio_refuses_features_ok_without_version_1)
{
	open_disk(false);
	uint32_t st = negotiate(DRIVER_FEATURES & ~F(VIRTIO_F_VERSION_1));
	ck_assert_uint_eq(st, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* a driver that goes on regardless gets no DRIVER_OK */
	wr(VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	ck_assert(!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK));
	ck_assert(needs_reset());
	/* a reset and a proper negotiation recover */
	ck_assert_uint_eq(negotiate(DRIVER_FEATURES), S_ALL);
	finish();
}
END_TEST

START_TEST(mmio_refuses_features_not_offered)
{
	open_disk(false);
	ck_assert_uint_eq(
	    negotiate(DRIVER_FEATURES | F(VIRTIO_F_INDIRECT_DESC)) & VIRTIO_STATUS_FEATURES_OK, 0);
	ck_assert_uint_eq(
	    negotiate(DRIVER_FEATURES | F(VIRTIO_F_EVENT_IDX)) & VIRTIO_STATUS_FEATURES_OK, 0);
	ck_assert_uint_eq(
	    negotiate(DRIVER_FEATURES | F(VIRTIO_BLK_F_RO)) & VIRTIO_STATUS_FEATURES_OK, 0);
	/* a bit above 63, through DriverFeaturesSel 2 */
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(VIRTIO_MMIO_STATUS, S_ALL);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	/* a subset is fine: VERSION_1 alone */
	ck_assert_uint_eq(negotiate(F(VIRTIO_F_VERSION_1)), S_ALL);
	finish();
}
END_TEST

START_TEST(mmio_driver_features_frozen_after_features_ok)
{
	open_disk(false);
	ck_assert_uint_eq(negotiate(DRIVER_FEATURES), S_ALL);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	ck_assert_uint_eq(b.mmio.st.driver_features, DRIVER_FEATURES);
	ck_assert(virtio_mmio_negotiated(&b.mmio, VIRTIO_BLK_F_FLUSH));
	ck_assert(!virtio_mmio_negotiated(&b.mmio, VIRTIO_BLK_F_RO));
	finish();
}
END_TEST

START_TEST(mmio_status_bits_cannot_be_cleared_without_reset)
{
	start(false);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), S_ALL | VIRTIO_STATUS_DRIVER_OK);
	wr(VIRTIO_MMIO_STATUS, S_ALL | VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	ck_assert(!needs_reset());   /* the driver cannot set the device's bit */
	finish();
}
END_TEST

START_TEST(mmio_queue_num_max_and_missing_queues)
{
	open_disk(false);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), VQ_MAX_SIZE);
	wr(VIRTIO_MMIO_QUEUE_SEL, VIRTIO_BLK_BG_QUEUE);   /* the background queue */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), VQ_MAX_SIZE);
	wr(VIRTIO_MMIO_QUEUE_SEL, VIRTIO_BLK_QUEUES);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	finish();
}
END_TEST

START_TEST(mmio_queue_ready_with_ring_outside_ram_needs_reset)
{
	static const gpa_t bad[][3] = {
		{ RAM - 64, AVAIL, USED },                 /* descriptors past the end */
		{ DESC, MV_GPA_VIRTIO_MMIO, USED },        /* avail ring in the device hole */
		{ DESC, AVAIL, 0xfffffffffffff000ull },    /* used ring nowhere */
		{ DESC + 8, AVAIL, USED },                 /* misaligned descriptors */
		{ DESC, AVAIL, USED + 2 },                 /* misaligned used ring */
	};
	open_disk(false);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_uint_eq(negotiate(DRIVER_FEATURES), S_ALL);
		setup_queue(QSIZE, bad[i][0], bad[i][1], bad[i][2]);
		ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
		ck_assert_msg(needs_reset(), "layout %zu accepted", i);
	}
	ck_assert_uint_eq(b.mmio.needs_reset, 5);
	/* after a reset the same device takes a good layout */
	ck_assert_uint_eq(negotiate(DRIVER_FEATURES), S_ALL);
	ck_assert(!needs_reset());
	setup_queue(QSIZE, DESC, AVAIL, USED);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	finish();
}
END_TEST

START_TEST(mmio_queue_ready_with_bad_size_needs_reset)
{
	static const uint32_t sizes[] = { 0, 3, 100, 512, 0x10000 };
	open_disk(false);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_uint_eq(negotiate(DRIVER_FEATURES), S_ALL);
		setup_queue(sizes[i], DESC, AVAIL, USED);
		ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
		ck_assert_msg(needs_reset(), "queue size %u accepted", sizes[i]);
	}
	finish();
}
END_TEST

START_TEST(mmio_queue_registers_frozen_while_ready)
{
	start(false);
	wr(VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x40000);
	ck_assert_uint_eq(b.mmio.st.queue[0].num, QSIZE);
	ck_assert_uint_eq(b.mmio.st.queue[0].desc, DESC);
	ck_assert_uint_eq(read_sectors(0, DATA, SECT), VIRTIO_BLK_S_OK);
	finish();
}
END_TEST

START_TEST(mmio_notify_before_driver_ok_is_ignored)
{
	open_disk(false);
	ck_assert_uint_eq(negotiate(DRIVER_FEATURES), S_ALL);
	setup_queue(QSIZE, DESC, AVAIL, USED);
	put_hdr(0, VIRTIO_BLK_T_IN, 0);
	struct seg s[] = { { HDR, 16, false }, { DATA, SECT, true }, { STATUS, 1, true } };
	offer(s, 3);
	notify();
	ck_assert_uint_eq(used_ring()->idx, 0);
	ck_assert_uint_eq(b.mmio.ignored_notifies, 1);
	wr(VIRTIO_MMIO_STATUS, S_ALL | VIRTIO_STATUS_DRIVER_OK);
	notify();
	ck_assert_uint_eq(used_ring()->idx, 1);
	ck_assert_uint_eq(status_of(0), VIRTIO_BLK_S_OK);
	finish();
}
END_TEST

START_TEST(mmio_completion_sets_interrupt_status_until_acked)
{
	start(false);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	ck_assert_uint_eq(read_sectors(0, DATA, SECT), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	finish();
}
END_TEST

START_TEST(mmio_reset_clears_status_queues_and_interrupts)
{
	start(false);
	ck_assert_uint_eq(read_sectors(0, DATA, SECT), VIRTIO_BLK_S_OK);
	wr(VIRTIO_MMIO_STATUS, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	ck_assert_uint_eq(b.mmio.st.driver_features, 0);
	ck_assert_uint_eq(b.mmio.st.queue[0].last_avail, 0);
	finish();
}
END_TEST

START_TEST(mmio_config_space_reports_geometry)
{
	open_disk(false);
	uint64_t cap = rd(VIRTIO_MMIO_CONFIG) | (uint64_t)rd(VIRTIO_MMIO_CONFIG + 4) << 32;
	ck_assert_uint_eq(cap, SECTORS);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG + offsetof(struct virtio_blk_config, blk_size)),
			  4096);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG + offsetof(struct virtio_blk_config, seg_max)),
			  VQ_MAX_SIZE - 2);
	uint8_t byte = 0xaa;
	virtio_mmio_read(&b.mmio, VIRTIO_MMIO_CONFIG, &byte, 1);
	ck_assert_uint_eq(byte, SECTORS & 0xff);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG + sizeof(struct virtio_blk_config)), 0);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG + 0xefc), 0);
	wr(VIRTIO_MMIO_CONFIG, 1);   /* capacity is read-only */
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG), SECTORS);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_CONFIG_GENERATION), 0);
	finish();
}
END_TEST

START_TEST(mmio_register_access_of_wrong_width_is_ignored)
{
	open_disk(false);
	uint8_t buf[8];
	memset(buf, 0xaa, sizeof(buf));
	virtio_mmio_read(&b.mmio, VIRTIO_MMIO_MAGIC_VALUE, buf, 2);
	ck_assert_uint_eq(buf[0] | buf[1], 0);
	virtio_mmio_read(&b.mmio, VIRTIO_MMIO_MAGIC_VALUE + 1, buf, 4);   /* unaligned */
	ck_assert_uint_eq(buf[0] | buf[1] | buf[2] | buf[3], 0);
	uint8_t one = VIRTIO_STATUS_ACKNOWLEDGE;
	virtio_mmio_write(&b.mmio, VIRTIO_MMIO_STATUS, &one, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), 0);
	ck_assert_uint_eq(b.mmio.bad_accesses, 3);
	finish();
}
END_TEST

START_TEST(mmio_cmdline_uses_linux_device_syntax)
{
	char buf[128] = "console=ttyS0";
	ck_assert_int_eq(virtio_mmio_cmdline_append(buf, sizeof(buf), 0xd0000000, 5), 0);
	ck_assert_int_eq(virtio_mmio_cmdline_append(buf, sizeof(buf), 0xd0001000, 6), 0);
	ck_assert_str_eq(buf, "console=ttyS0 virtio_mmio.device=4K@0xd0000000:5"
			      " virtio_mmio.device=4K@0xd0001000:6");
	char empty[64] = "";
	ck_assert_int_eq(virtio_mmio_cmdline_append(empty, sizeof(empty), 0xd0000000, 5), 0);
	ck_assert_str_eq(empty, "virtio_mmio.device=4K@0xd0000000:5");
	char small[40] = "root=/dev/vda";
	ck_assert_int_eq(virtio_mmio_cmdline_append(small, sizeof(small), 0xd0000000, 5), -1);
	ck_assert_str_eq(small, "root=/dev/vda");   /* unchanged when it does not fit */
}
END_TEST

/* ---- requests ---- */

START_TEST(blk_read_returns_image_sectors)
{
	start(false);
	memset(ram(DATA, 3 * SECT), 0, 3 * SECT);
	ck_assert_uint_eq(read_sectors(5, DATA, 2 * SECT), VIRTIO_BLK_S_OK);
	const uint8_t *p = ram(DATA, 3 * SECT);
	for (uint32_t i = 0; i < 2 * SECT; i++)
		ck_assert_uint_eq(p[i], pattern(5 * SECT + i));
	ck_assert_uint_eq(p[2 * SECT], 0);   /* nothing past the buffer */
	ck_assert_uint_eq(last_used().len, 2 * SECT + 1);
	ck_assert_uint_eq(b.stats.in, 1);
	ck_assert_uint_eq(b.stats.bytes_read, 2 * SECT);
	finish();
}
END_TEST

START_TEST(blk_read_last_sector_succeeds)
{
	start(false);
	ck_assert_uint_eq(read_sectors(SECTORS - 1, DATA, SECT), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(ram(DATA, 1)[0], pattern((SECTORS - 1) * SECT));
	finish();
}
END_TEST

START_TEST(blk_write_lands_in_image)
{
	start(false);
	memset(ram(DATA, 2 * SECT), 0x5c, 2 * SECT);
	ck_assert_uint_eq(write_sectors(10, DATA, 2 * SECT), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(last_used().len, 1);
	uint8_t buf[2 * SECT];
	int fd = open(img, O_RDONLY);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 10 * SECT), (ssize_t)sizeof(buf));
	close(fd);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0x5c);
	ck_assert(image_has_pattern(9 * SECT, SECT));
	ck_assert(image_has_pattern(12 * SECT, SECT));
	ck_assert_uint_eq(b.stats.bytes_written, 2 * SECT);
	ck_assert_uint_eq(b.stats.fdatasyncs, 0);   /* FLUSH negotiated: writes may be cached */
	finish();
}
END_TEST

START_TEST(blk_write_to_read_only_disk_is_ioerr)
{
	start(true);
	memset(ram(DATA, SECT), 0x11, SECT);
	ck_assert_uint_eq(write_sectors(0, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert(image_has_pattern(0, SECT));
	ck_assert_uint_eq(b.stats.bytes_written, 0);
	ck_assert_uint_eq(b.stats.ioerr, 1);
	ck_assert_uint_eq(read_sectors(0, DATA, SECT), VIRTIO_BLK_S_OK);   /* reads still work */
	/* the device refuses by itself, not only because the host fd would */
	close(b.fd);
	b.fd = open(img, O_RDWR);
	ck_assert_int_ge(b.fd, 0);
	ck_assert_uint_eq(write_sectors(0, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert(image_has_pattern(0, SECT));
	finish();
}
END_TEST

START_TEST(blk_access_past_the_end_is_ioerr)
{
	start(false);
	memset(ram(DATA, 2 * SECT), 0x22, 2 * SECT);
	ck_assert_uint_eq(read_sectors(SECTORS, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(read_sectors(SECTORS - 1, DATA, 2 * SECT), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(write_sectors(SECTORS - 1, DATA, 2 * SECT), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(write_sectors(SECTORS, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert(image_has_pattern((SECTORS - 1) * SECT, SECT));
	struct stat st;
	ck_assert_int_eq(stat(img, &st), 0);
	ck_assert_int_eq(st.st_size, SECTORS * SECT);   /* the image did not grow */
	ck_assert_uint_eq(b.stats.ioerr, 4);
	finish();
}
END_TEST

START_TEST(blk_sector_overflow_is_ioerr)
{
	start(false);
	memset(ram(DATA, SECT), 0x33, SECT);
	/* sector * 512 wraps to 0, 512, or just below 2^64 */
	ck_assert_uint_eq(write_sectors(1ull << 55, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(write_sectors((1ull << 55) + 1, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(write_sectors(UINT64_MAX, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(read_sectors(UINT64_MAX - 1, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert(image_has_pattern(0, 2 * SECT));
	finish();
}
END_TEST

START_TEST(blk_length_not_whole_sectors_is_ioerr)
{
	start(false);
	ck_assert_uint_eq(read_sectors(0, DATA, 100), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(write_sectors(0, DATA, SECT + 1), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(read_sectors(0, 0, 0), VIRTIO_BLK_S_IOERR);    /* no data at all */
	ck_assert_uint_eq(write_sectors(0, 0, 0), VIRTIO_BLK_S_IOERR);
	ck_assert(image_has_pattern(0, SECT));
	finish();
}
END_TEST

START_TEST(blk_unsupported_type_is_unsupp)
{
	start(false);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_DISCARD, 0, DATA, 16, false), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, false),
			  VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_LIFETIME, 0, DATA, 8, true),
			  VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(request(0x1234, 0, 0, 0, false), VIRTIO_BLK_S_UNSUPP);
	ck_assert_uint_eq(b.stats.other, 4);
	ck_assert_uint_eq(b.stats.unsupp, 4);
	ck_assert(image_has_pattern(0, SECT));
	finish();
}
END_TEST

START_TEST(blk_header_in_writable_descriptor_is_ioerr)
{
	start(false);
	put_hdr(0, VIRTIO_BLK_T_IN, 0);
	memset(ram(DATA, SECT), 0x44, SECT);
	struct seg s[] = { { HDR, 16, true }, { DATA, SECT, true }, { STATUS, 1, true } };
	offer(s, 3);
	notify();
	ck_assert_uint_eq(used_ring()->idx, 1);
	ck_assert_uint_eq(status_of(0), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(ram(DATA, 1)[0], 0x44);   /* nothing was read */
	ck_assert(!needs_reset());
	finish();
}
END_TEST

START_TEST(blk_data_in_wrong_direction_is_ioerr)
{
	start(false);
	/* a read whose data buffer is device-readable: the only writable byte
	 * is the status, so there is nowhere to put the data */
	ck_assert_uint_eq(request(VIRTIO_BLK_T_IN, 0, DATA, SECT, false), VIRTIO_BLK_S_IOERR);
	/* a write whose data is device-writable: nothing to write */
	memset(ram(DATA, SECT), 0x55, SECT);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_OUT, 0, DATA, SECT, true), VIRTIO_BLK_S_IOERR);
	ck_assert(image_has_pattern(0, SECT));
	ck_assert_uint_eq(ram(DATA, 1)[0], 0x55);
	finish();
}
END_TEST

START_TEST(blk_status_in_readable_descriptor_needs_reset)
{
	start(false);
	put_hdr(0, VIRTIO_BLK_T_OUT, 0);
	memset(ram(DATA, SECT), 0x66, SECT);
	struct seg s[] = { { HDR, 16, false }, { DATA, SECT, false }, { STATUS, 1, false } };
	uint16_t head = offer(s, 3);
	notify();
	/* returned, with nothing written, so a polling driver stops waiting */
	ck_assert_uint_eq(used_ring()->idx, 1);
	ck_assert_uint_eq(last_used().id, head);
	ck_assert_uint_eq(last_used().len, 0);
	ck_assert_uint_eq(status_of(0), 0xee);
	ck_assert(image_has_pattern(0, SECT));
	ck_assert(needs_reset());
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG,
			  VIRTIO_MMIO_INT_CONFIG);
	ck_assert_uint_eq(b.stats.bad_chains, 1);
	/* and it takes no more requests until reset */
	put_hdr(0, VIRTIO_BLK_T_IN, 0);
	struct seg r[] = { { HDR, 16, false }, { DATA, SECT, true }, { STATUS, 1, true } };
	offer(r, 3);
	notify();
	ck_assert_uint_eq(used_ring()->idx, 1);
	finish();
}
END_TEST

START_TEST(blk_chain_outside_ram_needs_reset)
{
	start(false);
	put_hdr(0, VIRTIO_BLK_T_IN, 0);
	struct seg s[] = {{HDR, 16, false}, {RAM - SECT / 2, SECT, true}, {STATUS, 1, true}};
	uint16_t head = offer(s, 3);
	notify();
	ck_assert_uint_eq(used_ring()->idx, 1);
	ck_assert_uint_eq(last_used().id, head);
	ck_assert_uint_eq(last_used().len, 0);
	ck_assert_uint_eq(status_of(0), 0xee);
	ck_assert(needs_reset());
	ck_assert_uint_eq(b.stats.in, 0);
	finish();
}
END_TEST

START_TEST(blk_header_split_across_descriptors)
{
	start(false);
	put_hdr(0, VIRTIO_BLK_T_IN, 7);
	struct seg s[] = { { HDR, 5, false },        { HDR + 5, 11, false },
			   { DATA, 100, true },      { DATA + 100, SECT - 100 + 1, true } };
	offer(s, 4);
	notify();
	/* data and status share the last descriptor: status is its last byte */
	ck_assert_uint_eq(*ram(DATA + SECT, 1), VIRTIO_BLK_S_OK);
	for (uint32_t i = 0; i < SECT; i++)
		ck_assert_uint_eq(ram(DATA, SECT)[i], pattern(7 * SECT + i));
	ck_assert_uint_eq(last_used().len, SECT + 1);
	finish();
}
END_TEST

START_TEST(blk_one_notify_completes_every_available_request)
{
	start(false);
	/* two reads and a flush: all 8 descriptors of the queue in flight */
	for (int i = 0; i < 2; i++) {
		put_hdr(i, VIRTIO_BLK_T_IN, (uint64_t)i);
		struct seg s[] = { { HDR + 0x100ull * i, 16, false },
				   { DATA + (uint64_t)i * SECT, SECT, true },
				   { STATUS + 0x10ull * i, 1, true } };
		offer(s, 3);
	}
	put_hdr(2, VIRTIO_BLK_T_FLUSH, 0);
	struct seg f[] = { { HDR + 0x200, 16, false }, { STATUS + 0x20, 1, true } };
	offer(f, 2);
	notify();
	ck_assert_uint_eq(used_ring()->idx, 3);
	ck_assert_uint_eq(b.mmio.notifies, 1);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(status_of(i), VIRTIO_BLK_S_OK);
	for (int i = 0; i < 2; i++)
		ck_assert_uint_eq(ram(DATA + (uint64_t)i * SECT, 1)[0],
				  pattern((uint64_t)i * SECT));
	ck_assert_uint_eq(b.stats.fdatasyncs, 1);
	finish();
}
END_TEST

START_TEST(blk_requests_continue_across_ring_wrap)
{
	start(false);
	/* 20 requests through a queue of 8 */
	for (uint64_t i = 0; i < 20; i++) {
		ck_assert_uint_eq(read_sectors(i % SECTORS, DATA, SECT), VIRTIO_BLK_S_OK);
		ck_assert_uint_eq(ram(DATA, 1)[0], pattern((i % SECTORS) * SECT));
	}
	ck_assert_uint_eq(used_ring()->idx, 20);
	finish();
}
END_TEST

START_TEST(blk_flush_calls_fdatasync)
{
	start(false);
	memset(ram(DATA, SECT), 0x77, SECT);
	ck_assert_uint_eq(write_sectors(1, DATA, SECT), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(b.stats.fdatasyncs, 0);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(b.stats.fdatasyncs, 1);
	ck_assert_uint_eq(b.stats.flush, 1);
	ck_assert_uint_eq(last_used().len, 1);
	finish();
}
END_TEST

START_TEST(blk_writes_are_stable_when_flush_not_negotiated)
{
	/* virtio 1.2 §5.2.6.2: FLUSH offered, not accepted: writes are write-through */
	start_with(false, F(VIRTIO_F_VERSION_1));
	memset(ram(DATA, SECT), 0x78, SECT);
	ck_assert_uint_eq(write_sectors(1, DATA, SECT), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(b.stats.fdatasyncs, 1);
	finish();
}
END_TEST

START_TEST(blk_get_id_returns_image_name)
{
	start(false);
	uint8_t *p = ram(DATA, VIRTIO_BLK_ID_BYTES);
	memset(p, 0xaa, VIRTIO_BLK_ID_BYTES);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, DATA, VIRTIO_BLK_ID_BYTES, true),
			  VIRTIO_BLK_S_OK);
	const char *name = strrchr(img, '/') + 1;   /* "mapvisor-unit-XXXXXX": 20 bytes */
	ck_assert_uint_eq(strlen(name), VIRTIO_BLK_ID_BYTES);
	ck_assert_int_eq(memcmp(p, name, VIRTIO_BLK_ID_BYTES), 0);
	ck_assert_uint_eq(last_used().len, VIRTIO_BLK_ID_BYTES + 1);
	ck_assert_uint_eq(b.stats.get_id, 1);
	/* the spec fixes the buffer at 20 bytes */
	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, DATA, 16, true), VIRTIO_BLK_S_IOERR);
	finish();
}
END_TEST

START_TEST(blk_get_id_pads_short_name_with_nul)
{
	struct mv_err e = { "" };
	char path[64];
	ram_init();
	snprintf(path, sizeof(path), "/tmp/mv-%d.img", (int)getpid());
	int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	close(fd);
	ck_assert_int_eq(virtio_blk_init(&b, &gm, path, false, 0, MV_GPA_VIRTIO_MMIO, 5, &e), 0);
	next_desc = 0;
	ck_assert_uint_eq(negotiate(DRIVER_FEATURES), S_ALL);
	setup_queue(QSIZE, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_STATUS, S_ALL | VIRTIO_STATUS_DRIVER_OK);
	uint8_t *p = ram(DATA, VIRTIO_BLK_ID_BYTES);
	memset(p, 0xaa, VIRTIO_BLK_ID_BYTES);
	ck_assert_uint_eq(request(VIRTIO_BLK_T_GET_ID, 0, DATA, VIRTIO_BLK_ID_BYTES, true),
			  VIRTIO_BLK_S_OK);
	const char *name = strrchr(path, '/') + 1;
	ck_assert_str_eq((const char *)p, name);
	for (size_t i = strlen(name); i < VIRTIO_BLK_ID_BYTES; i++)
		ck_assert_uint_eq(p[i], 0);
	virtio_blk_close(&b);
	gm_destroy(&gm);
	unlink(path);
}
END_TEST

START_TEST(blk_host_read_error_is_ioerr)
{
	start(false);
	close(b.fd);
	b.fd = open("/", O_RDONLY | O_DIRECTORY);   /* pread: EISDIR */
	ck_assert_int_ge(b.fd, 0);
	ck_assert_uint_eq(read_sectors(0, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(b.stats.bytes_read, 0);
	ck_assert(!needs_reset());   /* a host error is the request's, not the device's */
	finish();
}
END_TEST

START_TEST(blk_host_write_error_is_ioerr)
{
	start(false);
	close(b.fd);
	b.fd = open(img, O_RDONLY);   /* pwrite: EBADF */
	ck_assert_int_ge(b.fd, 0);
	memset(ram(DATA, SECT), 0x99, SECT);
	ck_assert_uint_eq(write_sectors(0, DATA, SECT), VIRTIO_BLK_S_IOERR);
	ck_assert(image_has_pattern(0, SECT));
	finish();
}
END_TEST

START_TEST(blk_host_flush_error_is_ioerr)
{
	int pfd[2];
	start(false);
	ck_assert_int_eq(pipe(pfd), 0);
	close(b.fd);
	close(pfd[1]);
	b.fd = pfd[0];   /* fdatasync on a pipe: EINVAL */
	ck_assert_uint_eq(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(b.stats.fdatasyncs, 0);
	finish();
}
END_TEST

START_TEST(blk_image_shorter_than_a_sector_multiple)
{
	struct mv_err e = { "" };
	ram_init();
	make_image(3 * SECT + 100);
	ck_assert_int_eq(virtio_blk_init(&b, &gm, img, false, 0, MV_GPA_VIRTIO_MMIO, 5, &e), 0);
	ck_assert_uint_eq(b.capacity, 3);
	next_desc = 0;
	ck_assert_uint_eq(negotiate(DRIVER_FEATURES), S_ALL);
	setup_queue(QSIZE, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_STATUS, S_ALL | VIRTIO_STATUS_DRIVER_OK);
	ck_assert_uint_eq(read_sectors(2, DATA, SECT), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(read_sectors(3, DATA, SECT), VIRTIO_BLK_S_IOERR);
	finish();
}
END_TEST

/* ---- opening images ---- */

START_TEST(blk_init_missing_file_fails_and_creates_nothing)
{
	struct mv_err e = { "" };
	char path[64];
	unit_tmpname(path);
	ram_init();
	ck_assert_fails_with(virtio_blk_init(&b, &gm, path, false, 0, MV_GPA_VIRTIO_MMIO, 5, &e),
			     e, "No such file");
	ck_assert_msg(strstr(e.msg, path), "error \"%s\" does not name the path", e.msg);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_fails_with(virtio_blk_init(&b, &gm, path, true, 0, MV_GPA_VIRTIO_MMIO, 5, &e), e,
			     "No such file");
	ck_assert_int_ne(access(path, F_OK), 0);
	gm_destroy(&gm);
}
END_TEST

START_TEST(blk_init_rejects_empty_image_and_directory)
{
	struct mv_err e = { "" };
	ram_init();
	int fd = unit_tmpfile(img);
	close(fd);
	ck_assert_fails_with(virtio_blk_init(&b, &gm, img, false, 0, MV_GPA_VIRTIO_MMIO, 5, &e), e,
			     "smaller than one 512-byte sector");
	ck_assert_fails_with(virtio_blk_init(&b, &gm, "/tmp", false, 0, MV_GPA_VIRTIO_MMIO, 5, &e),
			     e, "Is a directory");
	ck_assert_fails_with(virtio_blk_init(&b, &gm, "/tmp", true, 0, MV_GPA_VIRTIO_MMIO, 5, &e),
			     e, "not a regular file");
	unlink(img);
	gm_destroy(&gm);
}
END_TEST

START_TEST(blk_init_refuses_image_another_writer_holds)
{
	struct mv_err e = { "" };
	struct virtio_blk *other = malloc(sizeof(*other));
	ck_assert_ptr_nonnull(other);
	open_disk(false);
	ck_assert_fails_with(virtio_blk_init(other, &gm, img, true, 1, MV_GPA_VIRTIO_MMIO, 5, &e),
			     e, "in use");
	virtio_blk_close(&b);
	ck_assert_int_eq(virtio_blk_init(other, &gm, img, true, 1, MV_GPA_VIRTIO_MMIO, 5, &e), 0);
	virtio_blk_close(other);
	free(other);
	gm_destroy(&gm);
	unlink(img);
}
END_TEST

/* A read whose data lands on avail->idx and on its own header's sector
 * field publishes the next request each time it completes; sector s of the
 * image holds (sector s + 1, idx s + 2). One notify must still end, after
 * at most one ring's worth of requests. */
START_TEST(blk_notify_serves_at_most_one_ring_of_self_feeding_requests)
{
	start(false);
	int fd = open(img, O_RDWR);
	ck_assert_int_ge(fd, 0);
	for (uint64_t sct = 0; sct < SECTORS; sct++) {
		uint8_t rec[10];
		uint64_t next = sct + 1;
		uint16_t idx = (uint16_t)(sct + 2);
		memcpy(rec, &next, 8);
		memcpy(rec + 8, &idx, 2);
		ck_assert_int_eq(pwrite(fd, rec, sizeof(rec), (off_t)(sct * SECT)), (ssize_t)sizeof(rec));
	}
	close(fd);
	struct virtio_blk_req_hdr *h = (struct virtio_blk_req_hdr *)ram(HDR, sizeof(*h));
	*h = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = 0 };
	const struct seg chain[] = {
		{ HDR, 16, false },
		{ HDR + 8, 8, true },     /* lands on the header's sector field */
		{ AVAIL + 2, 2, true },   /* lands on avail->idx */
		{ DATA, 502, true },
		{ STATUS, 1, true },
	};
	offer(chain, 5);   /* publishes idx 1; every ring entry names head 0 */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_ge(b.stats.in, 1);
	ck_assert_uint_le(b.stats.in, QSIZE);
}
END_TEST

/* ---- the background queue ---- */

#define DESC1  0x40000ull
#define AVAIL1 0x41000ull
#define USED1  0x42000ull

/* Its used index as another thread stores it. */
static uint16_t bg_used_idx(void)
{
	const struct virtq_used *u = (const void *)ram(USED1, VIRTQ_USED_BYTES(QSIZE));
	return __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
}

/* A read on queue 1 comes back in the used ring after its notify returned
 * (the thread did it; completion is waited for, with a bound, not slept
 * for); queue 0 still completes within its own notify meanwhile. */
START_TEST(background_queue_completes_reads_on_its_own_thread)
{
	open_disk(false);
	ck_assert_uint_eq(negotiate(DRIVER_FEATURES | F(VIRTIO_BLK_F_MQ)), S_ALL);
	setup_queue(QSIZE, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_QUEUE_SEL, VIRTIO_BLK_BG_QUEUE);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC1);
	wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL1);
	wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)USED1);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	wr(VIRTIO_MMIO_STATUS, S_ALL | VIRTIO_STATUS_DRIVER_OK);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_STATUS), S_ALL | VIRTIO_STATUS_DRIVER_OK);
	/* config space says two queues */
	uint16_t nq = 0;
	virtio_mmio_read(&b.mmio, VIRTIO_MMIO_CONFIG + offsetof(struct virtio_blk_config, num_queues),
			 (uint8_t *)&nq, 2);
	ck_assert_uint_eq(nq, VIRTIO_BLK_QUEUES);

	/* header, 16 sectors of data, status on queue 1 */
	struct virtq_desc *d = (struct virtq_desc *)ram(DESC1, VIRTQ_DESC_BYTES(QSIZE));
	struct virtq_avail *a = (struct virtq_avail *)ram(AVAIL1, VIRTQ_AVAIL_BYTES(QSIZE));
	put_hdr(1, VIRTIO_BLK_T_IN, 4);
	memset(ram(DATA, 16 * SECT), 0, 16 * SECT);
	d[0] = (struct virtq_desc){ HDR + 0x100, 16, VIRTQ_DESC_F_NEXT, 1 };
	d[1] = (struct virtq_desc){ DATA, 16 * SECT, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	d[2] = (struct virtq_desc){ STATUS + 0x10, 1, VIRTQ_DESC_F_WRITE, 0 };
	a->ring[0] = 0;
	__atomic_store_n(&a->idx, 1, __ATOMIC_RELEASE);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_BLK_BG_QUEUE);
	/* queue 0 meanwhile: done when its notify returns */
	ck_assert_uint_eq(read_sectors(0, DATA + 64 * 1024, 2 * SECT), VIRTIO_BLK_S_OK);
	for (unsigned i = 0; i < 2 * SECT; i++)
		ck_assert_uint_eq(ram(DATA + 64 * 1024, 2 * SECT)[i], pattern(i));
	for (int spins = 0; bg_used_idx() != 1; spins++) {
		ck_assert_int_lt(spins, 50 * 1000 * 1000);
		sched_yield();
	}
	ck_assert_uint_eq(status_of(1), VIRTIO_BLK_S_OK);
	for (unsigned i = 0; i < 16 * SECT; i++)
		ck_assert_uint_eq(ram(DATA, 16 * SECT)[i], pattern(4 * SECT + i));
	ck_assert_uint_eq(b.stats.in, 2);
	finish();   /* the thread is joined */
}
END_TEST

int main(void)
{
	log_quiet = 1;   /* the device reports each reset it demands; expected here */
	Suite *s = suite_create("virtio_blk");
	UNIT_CASE(s, mmio_identifies_as_modern_block_device);
	UNIT_CASE(s, mmio_device_features_read_in_two_halves);
	UNIT_CASE(s, mmio_read_only_disk_offers_ro);
	UNIT_CASE(s, mmio_refuses_features_ok_without_version_1);
	UNIT_CASE(s, mmio_refuses_features_not_offered);
	UNIT_CASE(s, mmio_driver_features_frozen_after_features_ok);
	UNIT_CASE(s, mmio_status_bits_cannot_be_cleared_without_reset);
	UNIT_CASE(s, mmio_queue_num_max_and_missing_queues);
	UNIT_CASE(s, mmio_queue_ready_with_ring_outside_ram_needs_reset);
	UNIT_CASE(s, mmio_queue_ready_with_bad_size_needs_reset);
	UNIT_CASE(s, mmio_queue_registers_frozen_while_ready);
	UNIT_CASE(s, mmio_notify_before_driver_ok_is_ignored);
	UNIT_CASE(s, mmio_completion_sets_interrupt_status_until_acked);
	UNIT_CASE(s, mmio_reset_clears_status_queues_and_interrupts);
	UNIT_CASE(s, mmio_config_space_reports_geometry);
	UNIT_CASE(s, mmio_register_access_of_wrong_width_is_ignored);
	UNIT_CASE(s, mmio_cmdline_uses_linux_device_syntax);
	UNIT_CASE(s, blk_read_returns_image_sectors);
	UNIT_CASE(s, blk_read_last_sector_succeeds);
	UNIT_CASE(s, blk_write_lands_in_image);
	UNIT_CASE(s, blk_write_to_read_only_disk_is_ioerr);
	UNIT_CASE(s, blk_access_past_the_end_is_ioerr);
	UNIT_CASE(s, blk_sector_overflow_is_ioerr);
	UNIT_CASE(s, blk_length_not_whole_sectors_is_ioerr);
	UNIT_CASE(s, blk_unsupported_type_is_unsupp);
	UNIT_CASE(s, blk_header_in_writable_descriptor_is_ioerr);
	UNIT_CASE(s, blk_data_in_wrong_direction_is_ioerr);
	UNIT_CASE(s, blk_status_in_readable_descriptor_needs_reset);
	UNIT_CASE(s, blk_chain_outside_ram_needs_reset);
	UNIT_CASE(s, blk_header_split_across_descriptors);
	UNIT_CASE(s, blk_one_notify_completes_every_available_request);
	UNIT_CASE(s, blk_requests_continue_across_ring_wrap);
	UNIT_CASE(s, blk_flush_calls_fdatasync);
	UNIT_CASE(s, blk_writes_are_stable_when_flush_not_negotiated);
	UNIT_CASE(s, blk_get_id_returns_image_name);
	UNIT_CASE(s, blk_get_id_pads_short_name_with_nul);
	UNIT_CASE(s, blk_host_read_error_is_ioerr);
	UNIT_CASE(s, blk_host_write_error_is_ioerr);
	UNIT_CASE(s, blk_host_flush_error_is_ioerr);
	UNIT_CASE(s, blk_image_shorter_than_a_sector_multiple);
	UNIT_CASE(s, blk_init_missing_file_fails_and_creates_nothing);
	UNIT_CASE(s, blk_init_rejects_empty_image_and_directory);
	UNIT_CASE(s, blk_init_refuses_image_another_writer_holds);
	UNIT_CASE(s, blk_notify_serves_at_most_one_ring_of_self_feeding_requests);
	UNIT_CASE(s, background_queue_completes_reads_on_its_own_thread);
	return unit_run(s);
}
