/* Virtio 1.2 common structures (ABI version VIRTIO_ABI_VERSION of this header):
 * the virtio-mmio transport registers (modern, Version 2), device status and
 * reserved feature bits, and the split virtqueue. Shared by the VMM's device
 * side and the guest's driver side; numbers are from the OASIS virtio 1.2
 * specification, section given beside each group.
 *
 * All multi-byte fields are little-endian on the wire (virtio 1.2 §1.4); both
 * sides here are x86, so the structs use plain fixed-width integers.
 *
 * virtio-mmio register window (virtio 1.2 §4.2.2), all registers 32 bits wide
 * and 32-bit aligned, R = device to driver, W = driver to device:
 *
 *   offset | register            | dir | offset | register            | dir
 *   -------+---------------------+-----+--------+---------------------+----
 *   0x000  | MagicValue "virt"   | R   | 0x060  | InterruptStatus     | R
 *   0x004  | Version (2)         | R   | 0x064  | InterruptACK        | W
 *   0x008  | DeviceID            | R   | 0x070  | Status              | RW
 *   0x00c  | VendorID            | R   | 0x080  | QueueDescLow/High   | W
 *   0x010  | DeviceFeatures      | R   | 0x090  | QueueDriverLow/High | W
 *   0x014  | DeviceFeaturesSel   | W   | 0x0a0  | QueueDeviceLow/High | W
 *   0x020  | DriverFeatures      | W   | 0x0ac  | SHMSel              | W
 *   0x024  | DriverFeaturesSel   | W   | 0x0b0  | SHMLenLow/High      | R
 *   0x030  | QueueSel            | W   | 0x0b8  | SHMBaseLow/High     | R
 *   0x034  | QueueNumMax         | R   | 0x0c0  | QueueReset          | RW
 *   0x038  | QueueNum            | W   | 0x0fc  | ConfigGeneration    | R
 *   0x044  | QueueReady          | RW  | 0x100+ | device config space | RW
 *   0x050  | QueueNotify         | W   |        |                     |
 */
#ifndef MAPVISOR_VIRTIO_H
#define MAPVISOR_VIRTIO_H

#include <stdint.h>

#define VIRTIO_ABI_VERSION 1u

/* virtio-mmio registers, virtio 1.2 §4.2.2 */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_SHM_SEL             0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW         0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH        0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW        0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH       0x0bc
#define VIRTIO_MMIO_QUEUE_RESET         0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100   /* device-specific config space */

#define VIRTIO_MMIO_MAGIC               0x74726976u   /* "virt" little-endian */
#define VIRTIO_MMIO_VERSION_MODERN      2u            /* 1 was the legacy layout */

/* InterruptStatus / InterruptACK bits, virtio 1.2 §4.2.2 */
#define VIRTIO_MMIO_INT_VRING           (1u << 0)     /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG          (1u << 1)     /* configuration change */

/* Device status, virtio 1.2 §2.1 */
#define VIRTIO_STATUS_ACKNOWLEDGE       1u
#define VIRTIO_STATUS_DRIVER            2u
#define VIRTIO_STATUS_DRIVER_OK         4u
#define VIRTIO_STATUS_FEATURES_OK       8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED            128u

/* Device IDs, virtio 1.2 §5 */
#define VIRTIO_ID_BLOCK                 2u

/* Reserved (device-independent) feature bit numbers, virtio 1.2 §6.
 * Device-type bits are 0..23. Use VIRTIO_BIT(n) for the 64-bit mask. */
#define VIRTIO_F_INDIRECT_DESC          28
#define VIRTIO_F_EVENT_IDX              29
#define VIRTIO_F_VERSION_1              32
#define VIRTIO_F_ACCESS_PLATFORM        33
#define VIRTIO_F_RING_PACKED            34
#define VIRTIO_F_IN_ORDER               35
#define VIRTIO_F_ORDER_PLATFORM         36
#define VIRTIO_F_SR_IOV                 37
#define VIRTIO_F_NOTIFICATION_DATA      38
#define VIRTIO_F_NOTIF_CONFIG_DATA      39
#define VIRTIO_F_RING_RESET             40
#define VIRTIO_BIT(n)                   (1ull << (n))

/* Split virtqueue, virtio 1.2 §2.7. Queue Size is a power of 2, at most
 * VIRTQ_MAX_SIZE. Part alignment and size (§2.7, table):
 *
 *   part                      | align | bytes
 *   --------------------------+-------+---------------------
 *   descriptor table (desc)   | 16    | 16 * Queue Size
 *   available ring (driver)   | 2     | 6 + 2 * Queue Size
 *   used ring (device)        | 4     | 6 + 8 * Queue Size
 *
 * The 6-byte terms include used_event / avail_event, which exist only with
 * VIRTIO_F_EVENT_IDX but are part of the area either way. */
#define VIRTQ_MAX_SIZE                  32768u
#define VIRTQ_DESC_ALIGN                16u
#define VIRTQ_AVAIL_ALIGN               2u
#define VIRTQ_USED_ALIGN                4u
#define VIRTQ_DESC_BYTES(n)             (16ull * (n))
#define VIRTQ_AVAIL_BYTES(n)            (6ull + 2ull * (n))
#define VIRTQ_USED_BYTES(n)             (6ull + 8ull * (n))

/* Descriptor flags, virtio 1.2 §2.7.5 */
#define VIRTQ_DESC_F_NEXT               1u
#define VIRTQ_DESC_F_WRITE              2u    /* device-writable (else device-readable) */
#define VIRTQ_DESC_F_INDIRECT           4u    /* only with VIRTIO_F_INDIRECT_DESC */

/* virtio 1.2 §2.7.5 */
struct virtq_desc {
	uint64_t addr;     /* guest-physical */
	uint32_t len;
	uint16_t flags;    /* VIRTQ_DESC_F_* */
	uint16_t next;     /* valid when flags has NEXT */
};

/* virtio 1.2 §2.7.6; ring[Queue Size] follows, then used_event */
#define VIRTQ_AVAIL_F_NO_INTERRUPT      1u
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;      /* free-running, wraps at 65536 */
	uint16_t ring[];
};

/* virtio 1.2 §2.7.8; ring[Queue Size] follows, then avail_event */
#define VIRTQ_USED_F_NO_NOTIFY          1u
struct virtq_used_elem {
	uint32_t id;       /* head of the used descriptor chain */
	uint32_t len;      /* bytes written into the chain's device-writable part */
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;      /* free-running, wraps at 65536 */
	struct virtq_used_elem ring[];
};

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc layout, virtio 1.2 §2.7.5");
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail header, virtio 1.2 §2.7.6");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem, virtio 1.2 §2.7.8");
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used header, virtio 1.2 §2.7.8");

#endif
