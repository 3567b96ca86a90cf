/* The ext2 on-disk format (header version EXT2_ABI_VERSION), shared by the
 * guest's file system and the host tests that inspect images. Section numbers
 * refer to "The Second Extended File System: Internal Layout" (D. Poirier,
 * 2001-2019 edition): §3.1 superblock, §3.2 group descriptors, §3.3-3.4
 * bitmaps, §3.5 inode table, §4.1 linked directories.
 *
 * Every multi-byte field is little endian; the structs below are read and
 * written directly, so they are only valid on a little-endian CPU (x86).
 *
 * Disk layout, block size B = 1024 << s_log_block_size:
 *
 *   byte offset / block          | contents
 *   -----------------------------+-------------------------------------------
 *   0 .. 1023                    | boot record, unused by ext2
 *   1024 .. 2047                 | superblock (in block 1 when B = 1024,
 *                                | inside block 0 otherwise)
 *   block s_first_data_block + 1 | group descriptor table, one 32-byte entry
 *                                | per group, then reserved GDT blocks
 *   per group g, starting at     | [superblock + GDT backup if sparse_super
 *   s_first_data_block + g*BPG   |  says so] block bitmap, inode bitmap,
 *                                | inode table, data blocks (bg_* point at
 *                                | them; never assume the order)
 *
 * Inode i (1-based) is entry (i-1) % s_inodes_per_group of the inode table of
 * group (i-1) / s_inodes_per_group; entries are s_inode_size bytes apart.
 * Block b belongs to group (b - s_first_data_block) / s_blocks_per_group.
 */
#ifndef MAPVISOR_EXT2_H
#define MAPVISOR_EXT2_H

#include <stddef.h>
#include <stdint.h>

#define EXT2_ABI_VERSION 1u

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ext2.h structures are little endian; byte-swap before using them here"
#endif

/* §3.1: the primary superblock always starts 1024 bytes into the volume. */
#define EXT2_SUPER_OFFSET 1024u
#define EXT2_SUPER_SIZE   1024u
#define EXT2_SUPER_MAGIC  0xef53u

/* s_rev_level, §3.1.23. Revision 0 has fixed 128-byte inodes and no feature
 * fields; we only accept the dynamic revision that mke2fs has written since
 * the late 1990s. */
#define EXT2_GOOD_OLD_REV 0u
#define EXT2_DYNAMIC_REV  1u

/* s_log_block_size: block size = 1024 << log. */
#define EXT2_MIN_BLOCK_LOG  10u
#define EXT2_MAX_BLOCK_LOG  12u /* 4 KiB: one page, the largest we handle */
#define EXT2_MIN_BLOCK_SIZE (1u << EXT2_MIN_BLOCK_LOG)
#define EXT2_MAX_BLOCK_SIZE (1u << EXT2_MAX_BLOCK_LOG)

/* s_state, §3.1.17 */
#define EXT2_VALID_FS 0x0001u /* cleanly unmounted */
#define EXT2_ERROR_FS 0x0002u

/* s_feature_compat, §3.1.29: a driver that ignores them stays correct. */
#define EXT2_FEATURE_COMPAT_DIR_PREALLOC  0x0001u
#define EXT2_FEATURE_COMPAT_IMAGIC_INODES 0x0002u
#define EXT2_FEATURE_COMPAT_HAS_JOURNAL   0x0004u
#define EXT2_FEATURE_COMPAT_EXT_ATTR      0x0008u
#define EXT2_FEATURE_COMPAT_RESIZE_INO    0x0010u
#define EXT2_FEATURE_COMPAT_DIR_INDEX     0x0020u

/* s_feature_incompat, §3.1.30: refuse to mount if any unknown bit is set. */
#define EXT2_FEATURE_INCOMPAT_COMPRESSION 0x0001u
#define EXT2_FEATURE_INCOMPAT_FILETYPE    0x0002u /* dirent file_type byte */
#define EXT2_FEATURE_INCOMPAT_RECOVER     0x0004u
#define EXT2_FEATURE_INCOMPAT_JOURNAL_DEV 0x0008u
#define EXT2_FEATURE_INCOMPAT_META_BG     0x0010u

/* s_feature_ro_compat, §3.1.31: unknown bits allow a read-only mount. */
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001u
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE   0x0002u /* i_dir_acl = size high */
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR    0x0004u

/* §3.1, 1024 bytes at EXT2_SUPER_OFFSET. */
struct ext2_super {
	uint32_t s_inodes_count;      /*   0 */
	uint32_t s_blocks_count;      /*   4 */
	uint32_t s_r_blocks_count;    /*   8 reserved for the superuser */
	uint32_t s_free_blocks_count; /*  12 */
	uint32_t s_free_inodes_count; /*  16 */
	uint32_t s_first_data_block;  /*  20 1 with 1 KiB blocks, else 0 */
	uint32_t s_log_block_size;    /*  24 */
	uint32_t s_log_frag_size;     /*  28 */
	uint32_t s_blocks_per_group;  /*  32 */
	uint32_t s_frags_per_group;   /*  36 */
	uint32_t s_inodes_per_group;  /*  40 */
	uint32_t s_mtime;             /*  44 last mount */
	uint32_t s_wtime;             /*  48 last write */
	uint16_t s_mnt_count;         /*  52 */
	uint16_t s_max_mnt_count;     /*  54 */
	uint16_t s_magic;             /*  56 */
	uint16_t s_state;             /*  58 */
	uint16_t s_errors;            /*  60 */
	uint16_t s_minor_rev_level;   /*  62 */
	uint32_t s_lastcheck;         /*  64 */
	uint32_t s_checkinterval;     /*  68 */
	uint32_t s_creator_os;        /*  72 */
	uint32_t s_rev_level;         /*  76 */
	uint16_t s_def_resuid;        /*  80 */
	uint16_t s_def_resgid;        /*  82 */
	/* EXT2_DYNAMIC_REV only */
	uint32_t s_first_ino;         /*  84 first non-reserved inode */
	uint16_t s_inode_size;        /*  88 */
	uint16_t s_block_group_nr;    /*  90 group holding this copy */
	uint32_t s_feature_compat;    /*  92 */
	uint32_t s_feature_incompat;  /*  96 */
	uint32_t s_feature_ro_compat; /* 100 */
	uint8_t s_uuid[16];           /* 104 */
	char s_volume_name[16];       /* 120 */
	char s_last_mounted[64];      /* 136 */
	uint32_t s_algo_bitmap;       /* 200 compression */
	uint8_t s_prealloc_blocks;    /* 204 */
	uint8_t s_prealloc_dir_blocks; /* 205 */
	uint16_t s_reserved_gdt_blocks; /* 206 for online resize (resize_inode) */
	uint8_t s_journal_uuid[16];   /* 208 */
	uint32_t s_journal_inum;      /* 224 */
	uint32_t s_journal_dev;       /* 228 */
	uint32_t s_last_orphan;       /* 232 */
	uint32_t s_hash_seed[4];      /* 236 directory index hash */
	uint8_t s_def_hash_version;   /* 252 */
	uint8_t s_pad0[3];            /* 253 */
	uint32_t s_default_mount_opts; /* 256 */
	uint32_t s_first_meta_bg;     /* 260 */
	uint8_t s_reserved[760];      /* 264 */
};

/* §3.2: the table starts in the block after the superblock's. */
struct ext2_group_desc {
	uint32_t bg_block_bitmap;      /*  0 */
	uint32_t bg_inode_bitmap;      /*  4 */
	uint32_t bg_inode_table;       /*  8 first block of the table */
	uint16_t bg_free_blocks_count; /* 12 */
	uint16_t bg_free_inodes_count; /* 14 */
	uint16_t bg_used_dirs_count;   /* 16 */
	uint16_t bg_pad;               /* 18 */
	uint8_t bg_reserved[12];       /* 20 */
};

/* Reserved inode numbers, §3.5 */
#define EXT2_BAD_INO            1u
#define EXT2_ROOT_INO           2u
#define EXT2_ACL_IDX_INO        3u
#define EXT2_ACL_DATA_INO       4u
#define EXT2_BOOT_LOADER_INO    5u
#define EXT2_UNDEL_DIR_INO      6u
#define EXT2_RESIZE_INO         7u
#define EXT2_GOOD_OLD_FIRST_INO 11u
#define EXT2_GOOD_OLD_INODE_SIZE 128u

/* i_block[], §3.5.13: 12 direct pointers, then one single, one double and
 * one triple indirect block of 32-bit block numbers. 0 is a hole. */
#define EXT2_NDIR_BLOCKS 12u
#define EXT2_IND_BLOCK   12u
#define EXT2_DIND_BLOCK  13u
#define EXT2_TIND_BLOCK  14u
#define EXT2_N_BLOCKS    15u

/* i_mode, §3.5.1: type in the top 4 bits, permissions below. */
#define EXT2_S_IFMT   0xf000u
#define EXT2_S_IFSOCK 0xc000u
#define EXT2_S_IFLNK  0xa000u
#define EXT2_S_IFREG  0x8000u
#define EXT2_S_IFBLK  0x6000u
#define EXT2_S_IFDIR  0x4000u
#define EXT2_S_IFCHR  0x2000u
#define EXT2_S_IFIFO  0x1000u
#define EXT2_S_PERM   0x0fffu /* suid, sgid, sticky, rwxrwxrwx */

/* i_flags, §3.5.11 (only those we act on) */
#define EXT2_INDEX_FL   0x00001000u /* hashed directory index present */
#define EXT2_EXTENTS_FL 0x00080000u /* i_block holds extents: not ext2 */

/* i_links_count cannot go past this (the limit other ext2 drivers use). */
#define EXT2_LINK_MAX 32000u

/* §3.5, the first 128 bytes of every inode table entry. */
struct ext2_inode {
	uint16_t i_mode;        /*   0 */
	uint16_t i_uid;         /*   2 low 16 bits */
	uint32_t i_size;        /*   4 low 32 bits */
	uint32_t i_atime;       /*   8 */
	uint32_t i_ctime;       /*  12 */
	uint32_t i_mtime;       /*  16 */
	uint32_t i_dtime;       /*  20 deletion time */
	uint16_t i_gid;         /*  24 low 16 bits */
	uint16_t i_links_count; /*  26 */
	uint32_t i_blocks;      /*  28 in 512-byte units, metadata included */
	uint32_t i_flags;       /*  32 */
	uint32_t i_osd1;        /*  36 */
	uint32_t i_block[EXT2_N_BLOCKS]; /* 40 */
	uint32_t i_generation;  /* 100 */
	uint32_t i_file_acl;    /* 104 extended attribute block */
	uint32_t i_dir_acl;     /* 108 size high 32 bits for regular files */
	uint32_t i_faddr;       /* 112 */
	uint8_t i_frag;         /* 116 osd2 as laid out by Linux */
	uint8_t i_fsize;        /* 117 */
	uint16_t i_pad1;        /* 118 */
	uint16_t i_uid_high;    /* 120 */
	uint16_t i_gid_high;    /* 122 */
	uint32_t i_reserved2;   /* 124 */
};

/* Extended attribute block header (referenced by i_file_acl), from the
 * spec's "Extended Attributes" chapter: only the reference count is used. */
#define EXT2_XATTR_MAGIC 0xea020000u
struct ext2_xattr_header {
	uint32_t h_magic;    /* 0 */
	uint32_t h_refcount; /* 4 inodes sharing this block */
	uint32_t h_blocks;   /* 8 always 1 */
	uint32_t h_hash;     /* 12 */
	uint32_t h_reserved[4];
};

/* §4.1: linked directory entry. rec_len reaches the next entry (multiple of
 * 4, never crossing a block); the name (not NUL-terminated) follows the
 * 8-byte header. Without the filetype feature name_len is 16 bits wide. */
struct ext2_dirent {
	uint32_t inode;    /* 0: 0 = unused slot */
	uint16_t rec_len;  /* 4 */
	uint8_t name_len;  /* 6 */
	uint8_t file_type; /* 7 EXT2_FT_* when FILETYPE is set */
	char name[];       /* 8 */
};
#define EXT2_DIRENT_HDR 8u
#define EXT2_NAME_LEN   255u
/* Bytes an entry with a name of n bytes needs: header + name, 4-aligned. */
#define EXT2_DIRENT_LEN(n) ((EXT2_DIRENT_HDR + (n) + 3u) & ~3u)

/* file_type, §4.1.4 */
#define EXT2_FT_UNKNOWN  0u
#define EXT2_FT_REG_FILE 1u
#define EXT2_FT_DIR      2u
#define EXT2_FT_CHRDEV   3u
#define EXT2_FT_BLKDEV   4u
#define EXT2_FT_FIFO     5u
#define EXT2_FT_SOCK     6u
#define EXT2_FT_SYMLINK  7u
#define EXT2_FT_MAX      8u

_Static_assert(sizeof(struct ext2_super) == 1024, "superblock is 1024 bytes");
_Static_assert(offsetof(struct ext2_super, s_first_ino) == 84, "s_first_ino");
_Static_assert(offsetof(struct ext2_super, s_uuid) == 104, "s_uuid");
_Static_assert(offsetof(struct ext2_super, s_journal_uuid) == 208, "s_journal_uuid");
_Static_assert(offsetof(struct ext2_super, s_first_meta_bg) == 260, "s_first_meta_bg");
_Static_assert(sizeof(struct ext2_group_desc) == 32, "group descriptor is 32 bytes");
_Static_assert(sizeof(struct ext2_inode) == 128, "base inode is 128 bytes");
_Static_assert(offsetof(struct ext2_inode, i_block) == 40, "i_block");
_Static_assert(offsetof(struct ext2_inode, i_generation) == 100, "i_generation");
_Static_assert(offsetof(struct ext2_inode, i_uid_high) == 120, "i_uid_high");
_Static_assert(sizeof(struct ext2_xattr_header) == 32, "xattr header is 32 bytes");
_Static_assert(sizeof(struct ext2_dirent) == EXT2_DIRENT_HDR, "dirent header is 8 bytes");

#endif
