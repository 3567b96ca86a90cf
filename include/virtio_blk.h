/* Virtio block device (device ID 2), virtio 1.2 §5.2: feature bits, the
 * configuration space and the request format. Shared by the VMM's device and
 * the guest's driver (ABI version VIRTIO_BLK_ABI_VERSION of this header).
 *
 * A request is one descriptor chain (virtio 1.2 §5.2.6):
 *
 *   device-readable  | struct virtio_blk_req_hdr (16 bytes)
 *   device-readable  | data, for OUT (multiple of 512 bytes)
 *   device-writable  | data, for IN (multiple of 512) or GET_ID (20 bytes)
 *   device-writable  | status, 1 byte: VIRTIO_BLK_S_*
 *
 * Descriptor boundaries need not match these fields (virtio 1.2 §2.7.4).
 * Sectors are always 512 bytes, whatever blk_size says.
 */
#ifndef MAPVISOR_VIRTIO_BLK_H
#define MAPVISOR_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_BLK_ABI_VERSION      1u

/* Feature bits, virtio 1.2 §5.2.3 */
#define VIRTIO_BLK_F_SIZE_MAX       1
#define VIRTIO_BLK_F_SEG_MAX        2
#define VIRTIO_BLK_F_GEOMETRY       4
#define VIRTIO_BLK_F_RO             5
#define VIRTIO_BLK_F_BLK_SIZE       6
#define VIRTIO_BLK_F_FLUSH          9
#define VIRTIO_BLK_F_TOPOLOGY       10
#define VIRTIO_BLK_F_CONFIG_WCE     11
#define VIRTIO_BLK_F_MQ             12
#define VIRTIO_BLK_F_DISCARD        13
#define VIRTIO_BLK_F_WRITE_ZEROES   14
#define VIRTIO_BLK_F_LIFETIME       15
#define VIRTIO_BLK_F_SECURE_ERASE   16

#define VIRTIO_BLK_SECTOR_SHIFT     9
#define VIRTIO_BLK_SECTOR_SIZE      512u
#define VIRTIO_BLK_ID_BYTES         20u    /* GET_ID: NUL-padded, no NUL at 20 */

/* Configuration space, virtio 1.2 §5.2.4 (read at VIRTIO_MMIO_CONFIG).
 * Only capacity is always valid; the rest depends on the feature named. */
struct virtio_blk_config {
	uint64_t capacity;             /* 0: in 512-byte sectors */
	uint32_t size_max;             /* 8: VIRTIO_BLK_F_SIZE_MAX */
	uint32_t seg_max;              /* 12: VIRTIO_BLK_F_SEG_MAX */
	struct {
		uint16_t cylinders;
		uint8_t heads;
		uint8_t sectors;
	} geometry;                    /* 16: VIRTIO_BLK_F_GEOMETRY */
	uint32_t blk_size;             /* 20: VIRTIO_BLK_F_BLK_SIZE */
	struct {
		uint8_t physical_block_exp;
		uint8_t alignment_offset;
		uint16_t min_io_size;
		uint32_t opt_io_size;
	} topology;                    /* 24: VIRTIO_BLK_F_TOPOLOGY */
	uint8_t writeback;             /* 32: VIRTIO_BLK_F_CONFIG_WCE */
	uint8_t unused0;
	uint16_t num_queues;           /* 34: VIRTIO_BLK_F_MQ */
	uint32_t max_discard_sectors;  /* 36: VIRTIO_BLK_F_DISCARD */
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;  /* 48: VIRTIO_BLK_F_WRITE_ZEROES */
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
	uint32_t max_secure_erase_sectors;  /* 60: VIRTIO_BLK_F_SECURE_ERASE */
	uint32_t max_secure_erase_seg;
	uint32_t secure_erase_sector_alignment;
};

_Static_assert(offsetof(struct virtio_blk_config, seg_max) == 12, "blk config, virtio 1.2 §5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, blk_size) == 20, "blk config, virtio 1.2 §5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, writeback) == 32,
	       "blk config, virtio 1.2 §5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, max_write_zeroes_sectors) == 48,
	       "blk config, virtio 1.2 §5.2.4");
_Static_assert(offsetof(struct virtio_blk_config, max_secure_erase_sectors) == 60,
	       "blk config, virtio 1.2 §5.2.4");
_Static_assert(sizeof(struct virtio_blk_config) == 72, "blk config, virtio 1.2 §5.2.4");

/* Request header, virtio 1.2 §5.2.6 (struct virtio_blk_req up to data[]) */
struct virtio_blk_req_hdr {
	uint32_t type;       /* VIRTIO_BLK_T_* */
	uint32_t reserved;   /* was ioprio; ignored */
	uint64_t sector;     /* IN/OUT: offset / 512; 0 otherwise */
};

_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "blk request header, virtio 1.2 §5.2.6");

/* Request types, virtio 1.2 §5.2.6 */
#define VIRTIO_BLK_T_IN             0u
#define VIRTIO_BLK_T_OUT            1u
#define VIRTIO_BLK_T_FLUSH          4u
#define VIRTIO_BLK_T_GET_ID         8u
#define VIRTIO_BLK_T_GET_LIFETIME   10u
#define VIRTIO_BLK_T_DISCARD        11u
#define VIRTIO_BLK_T_WRITE_ZEROES   13u
#define VIRTIO_BLK_T_SECURE_ERASE   14u

/* Status byte, virtio 1.2 §5.2.6 */
#define VIRTIO_BLK_S_OK             0u
#define VIRTIO_BLK_S_IOERR          1u
#define VIRTIO_BLK_S_UNSUPP         2u

#endif
