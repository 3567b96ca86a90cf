/* The split virtqueue, device side: chains are taken apart exactly, and every
 * malformed ring or chain is an error code that touches nothing outside RAM. */
#include <stdint.h>
#include <string.h>

#include "guest_mem.h"
#include "mv_boot.h"
#include "unit.h"
#include "virtio.h"
#include "virtqueue.h"

#define MiB  (1ull << 20)
#define GiB  (1ull << 30)
#define RAM  (16 * MiB)
#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define BUF  0x100000ull

static struct guest_mem gm;
static struct vq_state q;
static struct vq_chain c;

static void setup_size(uint64_t ram, uint32_t num)
{
	struct gm_config cfg = { .size = ram };
	struct mv_err e = { "" };
	ck_assert_msg(gm_init(&gm, &cfg, &e) == 0, "gm_init: %s", e.msg);
	q = (struct vq_state){ .num = num, .desc = DESC, .driver = AVAIL, .device = USED };
	ck_assert_int_eq(vq_validate(&gm, &q), 0);
	q.ready = true;
}

static void setup(uint32_t num)
{
	setup_size(RAM, num);
}

static void teardown(void)
{
	gm_destroy(&gm);
}

static void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc *d = gm_ptr(&gm, DESC + 16ull * i, 16);
	ck_assert_ptr_nonnull(d);
	*d = (struct virtq_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static struct virtq_avail *avail(void)
{
	return gm_ptr(&gm, AVAIL, VIRTQ_AVAIL_BYTES(q.num));
}

static struct virtq_used *used(void)
{
	return gm_ptr(&gm, USED, VIRTQ_USED_BYTES(q.num));
}

/* Publish head at the driver's next slot, as a driver does. */
static void offer(uint16_t head)
{
	struct virtq_avail *a = avail();
	a->ring[a->idx % q.num] = head;
	a->idx++;
}

START_TEST(vq_pop_empty_ring_returns_zero)
{
	setup(8);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), 0);
	ck_assert_uint_eq(c.head, VQ_NO_HEAD);
	ck_assert_uint_eq(q.last_avail, 0);
	teardown();
}
END_TEST

START_TEST(vq_pop_single_descriptor)
{
	setup(8);
	desc(3, BUF, 100, VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), 1);
	ck_assert_uint_eq(c.head, 3);
	ck_assert_uint_eq(c.nseg, 1);
	ck_assert_uint_eq(c.nread, 0);
	ck_assert_ptr_eq(c.seg[0].hva, gm_ptr(&gm, BUF, 1));
	ck_assert_uint_eq(c.seg[0].len, 100);
	ck_assert(c.seg[0].write);
	ck_assert_uint_eq(c.write_bytes, 100);
	ck_assert_uint_eq(c.read_bytes, 0);
	ck_assert_uint_eq(q.last_avail, 1);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), 0);
	teardown();
}
END_TEST

START_TEST(vq_pop_readable_then_writable_chain)
{
	setup(8);
	desc(0, BUF, 16, VIRTQ_DESC_F_NEXT, 5);
	desc(5, BUF + 0x1000, 512, VIRTQ_DESC_F_NEXT, 2);
	desc(2, BUF + 0x2000, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 7);
	desc(7, BUF + 0x3000, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), 1);
	ck_assert_uint_eq(c.head, 0);
	ck_assert_uint_eq(c.nseg, 4);
	ck_assert_uint_eq(c.nread, 2);
	ck_assert_uint_eq(c.read_bytes, 16 + 512);
	ck_assert_uint_eq(c.write_bytes, 4096 + 1);
	ck_assert_ptr_eq(c.seg[3].hva, gm_ptr(&gm, BUF + 0x3000, 1));
	teardown();
}
END_TEST

START_TEST(vq_pop_accepts_chain_of_queue_size)
{
	setup(8);
	for (uint16_t i = 0; i < 8; i++)
		desc(i, BUF + i * 0x100, 0x100, i < 7 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), 1);
	ck_assert_uint_eq(c.nseg, 8);
	teardown();
}
END_TEST

START_TEST(vq_pop_rejects_buffer_outside_ram)
{
	setup(8);
	desc(0, RAM - 8, 16, 0, 0);                 /* straddles the end of RAM */
	desc(1, RAM, 1, 0, 0);                      /* just past it */
	desc(2, MV_GPA_MMIO_BASE + 0x1000, 8, 0, 0);  /* in the device hole */
	desc(3, UINT64_MAX - 3, 16, 0, 0);          /* addr + len wraps to 12 */
	desc(4, BUF, 16, VIRTQ_DESC_F_NEXT, 2);     /* good head, bad second */
	for (uint16_t h = 0; h < 5; h++) {
		offer(h);
		ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_ADDR);
		ck_assert_uint_eq(c.head, h);   /* the head can go back with length 0 */
	}
	ck_assert_uint_eq(q.last_avail, 5);
	teardown();
}
END_TEST

START_TEST(vq_pop_rejects_zero_length_descriptor)
{
	setup(8);
	desc(0, BUF, 0, 0, 0);
	desc(1, BUF, 16, VIRTQ_DESC_F_NEXT, 2);
	desc(2, BUF + 16, 0, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_ZERO_LEN);
	offer(1);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_ZERO_LEN);
	teardown();
}
END_TEST

START_TEST(vq_pop_detects_loops)
{
	setup(8);
	desc(0, BUF, 16, VIRTQ_DESC_F_NEXT, 0);   /* itself */
	desc(1, BUF, 16, VIRTQ_DESC_F_NEXT, 2);   /* 1 -> 2 -> 3 -> 1 */
	desc(2, BUF, 16, VIRTQ_DESC_F_NEXT, 3);
	desc(3, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_LOOP);
	offer(1);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_LOOP);
	ck_assert_uint_eq(c.head, 1);
	teardown();
}
END_TEST

START_TEST(vq_pop_rejects_chain_longer_than_limit)
{
	setup(8);
	for (uint16_t i = 0; i < 4; i++)
		desc(i, BUF, 16, i < 3 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, 3), -VQ_E_TOO_LONG);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, 4), 1);
	teardown();
}
END_TEST

START_TEST(vq_pop_rejects_chain_over_4gib)
{
	/* 200 descriptors of 32 MiB each name the same RAM: 6.25 GiB in total */
	setup_size(32 * MiB, 256);
	for (uint16_t i = 0; i < 200; i++)
		desc(i, 0, 32 * MiB, i < 199 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_TOO_BIG);
	teardown();
}
END_TEST

START_TEST(vq_pop_rejects_next_out_of_range)
{
	setup(8);
	desc(0, BUF, 16, VIRTQ_DESC_F_NEXT, 8);
	desc(1, BUF, 16, VIRTQ_DESC_F_NEXT, 0xffff);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_NEXT);
	offer(1);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_NEXT);
	teardown();
}
END_TEST

START_TEST(vq_pop_rejects_head_out_of_range)
{
	setup(8);
	offer(8);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_HEAD);
	ck_assert_uint_eq(c.head, VQ_NO_HEAD);   /* nothing the driver could match */
	offer(0xffff);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_HEAD);
	ck_assert_uint_eq(q.last_avail, 2);
	teardown();
}
END_TEST

START_TEST(vq_pop_rejects_indirect_descriptor)
{
	setup(8);
	desc(0, BUF, 64, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_INDIRECT);
	teardown();
}
END_TEST

START_TEST(vq_pop_rejects_readable_after_writable)
{
	setup(8);
	desc(0, BUF, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(1, BUF + 16, 16, 0, 0);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_ORDER);
	teardown();
}
END_TEST

START_TEST(vq_pop_rejects_avail_idx_too_far_ahead)
{
	setup(8);
	desc(0, BUF, 16, 0, 0);
	avail()->idx = 9;    /* 9 chains in a queue of 8 */
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_AVAIL_IDX);
	ck_assert_uint_eq(q.last_avail, 0);
	avail()->idx = 0xffff;   /* "behind" the device: also 65535 ahead */
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_AVAIL_IDX);
	teardown();
}
END_TEST

START_TEST(vq_pop_follows_avail_index_wrap)
{
	setup(8);
	desc(1, BUF, 16, 0, 0);
	desc(2, BUF + 16, 16, 0, 0);
	q.last_avail = 0xffff;
	avail()->idx = 0xffff;
	offer(1);   /* slot 65535 % 8 = 7, idx becomes 0 */
	offer(2);   /* slot 0, idx becomes 1 */
	ck_assert_uint_eq(avail()->idx, 1);
	ck_assert_uint_eq(avail()->ring[7], 1);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), 1);
	ck_assert_uint_eq(c.head, 1);
	ck_assert_uint_eq(q.last_avail, 0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), 1);
	ck_assert_uint_eq(c.head, 2);
	ck_assert_uint_eq(q.last_avail, 1);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), 0);
	teardown();
}
END_TEST

START_TEST(vq_push_writes_element_then_index_and_wraps)
{
	setup(8);
	q.used_idx = 0xffff;
	used()->idx = 0xffff;
	ck_assert_int_eq(vq_push(&gm, &q, 5, 513), 0);
	ck_assert_uint_eq(used()->idx, 0);
	ck_assert_uint_eq(used()->ring[7].id, 5);
	ck_assert_uint_eq(used()->ring[7].len, 513);
	ck_assert_int_eq(vq_push(&gm, &q, 6, 1), 0);
	ck_assert_uint_eq(used()->idx, 1);
	ck_assert_uint_eq(used()->ring[0].id, 6);
	teardown();
}
END_TEST

START_TEST(vq_push_ignores_guest_rewinding_used_index)
{
	setup(8);
	ck_assert_int_eq(vq_push(&gm, &q, 1, 1), 0);
	used()->idx = 1000;   /* the guest scribbles on the device's area */
	ck_assert_int_eq(vq_push(&gm, &q, 2, 1), 0);
	ck_assert_uint_eq(used()->idx, 2);
	ck_assert_uint_eq(used()->ring[1].id, 2);
	teardown();
}
END_TEST

START_TEST(vq_push_rejects_head_out_of_range)
{
	setup(8);
	ck_assert_int_eq(vq_push(&gm, &q, 8, 1), -VQ_E_HEAD);
	ck_assert_uint_eq(used()->idx, 0);
	ck_assert_uint_eq(q.used_idx, 0);
	teardown();
}
END_TEST

START_TEST(vq_not_ready_queue_is_not_touched)
{
	setup(8);
	desc(0, BUF, 16, 0, 0);
	offer(0);
	q.ready = false;
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), -VQ_E_NOT_READY);
	ck_assert_int_eq(vq_push(&gm, &q, 0, 1), -VQ_E_NOT_READY);
	ck_assert_uint_eq(q.last_avail, 0);
	teardown();
}
END_TEST

static int check_layout(uint32_t num, gpa_t d, gpa_t a, gpa_t u)
{
	struct vq_state s = { .num = num, .desc = d, .driver = a, .device = u };
	return vq_validate(&gm, &s);
}

START_TEST(vq_validate_checks_size_alignment_and_ram)
{
	setup(8);
	ck_assert_int_eq(check_layout(256, DESC, AVAIL, USED + 0x1000), 0);
	ck_assert_int_eq(check_layout(1, DESC, AVAIL, USED), 0);
	ck_assert_int_eq(check_layout(0, DESC, AVAIL, USED), -VQ_E_LAYOUT);
	ck_assert_int_eq(check_layout(3, DESC, AVAIL, USED), -VQ_E_LAYOUT);
	ck_assert_int_eq(check_layout(512, DESC, AVAIL, USED), -VQ_E_LAYOUT);   /* > QueueNumMax */
	ck_assert_int_eq(check_layout(8, DESC + 8, AVAIL, USED), -VQ_E_LAYOUT);
	ck_assert_int_eq(check_layout(8, DESC, AVAIL + 1, USED), -VQ_E_LAYOUT);
	ck_assert_int_eq(check_layout(8, DESC, AVAIL, USED + 2), -VQ_E_LAYOUT);
	ck_assert_int_eq(check_layout(8, RAM - 64, AVAIL, USED), -VQ_E_RING); /* 128 bytes needed */
	ck_assert_int_eq(check_layout(8, DESC, RAM - 16, USED), -VQ_E_RING);    /* 22 needed */
	ck_assert_int_eq(check_layout(8, DESC, AVAIL, RAM - 68), -VQ_E_RING);   /* 70 needed */
	ck_assert_int_eq(check_layout(8, MV_GPA_MMIO_BASE, AVAIL, USED), -VQ_E_RING);
	ck_assert_int_eq(check_layout(8, DESC, AVAIL, UINT64_MAX - 3), -VQ_E_RING);
	teardown();
}
END_TEST

START_TEST(vq_chain_read_spans_descriptors)
{
	setup(8);
	uint8_t *p = gm_ptr(&gm, BUF, 0x3000);
	memcpy(p, "abcdefgh", 8);
	memcpy(p + 0x1000, "ijklmnop", 8);
	desc(0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, BUF + 0x1000, 8, VIRTQ_DESC_F_NEXT, 2);
	desc(2, BUF + 0x2000, 4, VIRTQ_DESC_F_WRITE, 0);
	offer(0);
	ck_assert_int_eq(vq_pop(&gm, &q, &c, VQ_MAX_SIZE), 1);
	char buf[17] = { 0 };
	ck_assert_int_eq(vq_chain_read(&c, 0, buf, 16), 0);
	ck_assert_str_eq(buf, "abcdefghijklmnop");
	ck_assert_int_eq(vq_chain_read(&c, 6, buf, 4), 0);
	ck_assert_int_eq(memcmp(buf, "ghij", 4), 0);
	ck_assert_int_eq(vq_chain_read(&c, 0, buf, 17), -1);   /* past the readable part */
	ck_assert_int_eq(vq_chain_write(&c, 1, "xyz", 3), 0);
	ck_assert_int_eq(memcmp(p + 0x2001, "xyz", 3), 0);
	ck_assert_int_eq(vq_chain_write(&c, 2, "xyz", 3), -1);
	teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("virtqueue");
	UNIT_CASE(s, vq_pop_empty_ring_returns_zero);
	UNIT_CASE(s, vq_pop_single_descriptor);
	UNIT_CASE(s, vq_pop_readable_then_writable_chain);
	UNIT_CASE(s, vq_pop_accepts_chain_of_queue_size);
	UNIT_CASE(s, vq_pop_rejects_buffer_outside_ram);
	UNIT_CASE(s, vq_pop_rejects_zero_length_descriptor);
	UNIT_CASE(s, vq_pop_detects_loops);
	UNIT_CASE(s, vq_pop_rejects_chain_longer_than_limit);
	UNIT_CASE(s, vq_pop_rejects_chain_over_4gib);
	UNIT_CASE(s, vq_pop_rejects_next_out_of_range);
	UNIT_CASE(s, vq_pop_rejects_head_out_of_range);
	UNIT_CASE(s, vq_pop_rejects_indirect_descriptor);
	UNIT_CASE(s, vq_pop_rejects_readable_after_writable);
	UNIT_CASE(s, vq_pop_rejects_avail_idx_too_far_ahead);
	UNIT_CASE(s, vq_pop_follows_avail_index_wrap);
	UNIT_CASE(s, vq_push_writes_element_then_index_and_wraps);
	UNIT_CASE(s, vq_push_ignores_guest_rewinding_used_index);
	UNIT_CASE(s, vq_push_rejects_head_out_of_range);
	UNIT_CASE(s, vq_not_ready_queue_is_not_touched);
	UNIT_CASE(s, vq_validate_checks_size_alignment_and_ram);
	UNIT_CASE(s, vq_chain_read_spans_descriptors);
	return unit_run(s);
}
