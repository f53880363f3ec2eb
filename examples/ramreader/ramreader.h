/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ramreader: the ABI of the example module built on the dynasync runtime
 * (README "Using the runtime in your module"). /dev/ramreader holds
 * readers over a read-only ramdisk of RAMREADER_BLOCKS blocks; each READ
 * is one async call through a dyn trait, blocking until it completes.
 * Block b's byte i is ramreader_byte(b, i).
 */
#ifndef RAMREADER_UAPI_H
#define RAMREADER_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RAMREADER_DEVICE_NAME	"ramreader"
#define RAMREADER_BLOCK_SIZE	512
#define RAMREADER_BLOCKS	8
/* Readers one open file may hold. */
#define RAMREADER_MAX_READERS	8
/* The slow reader's longest sleep per block. */
#define RAMREADER_MAX_DELAY_NS	10000000ULL

static inline __u8 ramreader_byte(__u32 block, __u32 i)
{
	return (__u8)(block * 37 + i * 7 + (i >> 8));
}

enum ramreader_kind {
	RAMREADER_KIND_RAM = 1,		/* copies at once: never suspends */
	RAMREADER_KIND_SLOW = 2,	/* sleeps delay_ns (hrtimer), then copies */
	RAMREADER_KIND_XOR = 3,		/* adaptor: awaits an inner reader, XORs */
};

/*
 * Allocation sites (the runtime's DS_SITE_*), for RAMREADER_IOC_FAULT:
 * the frame of each call, the task header of a call that suspends, the
 * reader objects, the READ bounce buffer.
 */
#define RAMREADER_SITE_FRAME	0
#define RAMREADER_SITE_TASK	1
#define RAMREADER_SITE_OBJECT	2
#define RAMREADER_SITE_ARGS	3

struct ramreader_create {
	__u32 kind;		/* RAMREADER_KIND_* */
	__u32 inner_kind;	/* XOR: RAM or SLOW; else 0 */
	__u64 delay_ns;		/* SLOW (or XOR over SLOW): 1..MAX_DELAY_NS; else 0 */
	__u32 key;		/* XOR: 0..255; else 0 */
	__u32 handle;		/* out */
};

struct ramreader_read {
	__u32 handle;
	__u32 reserved;		/* 0 */
	__u64 buf;		/* user pointer to RAMREADER_BLOCK_SIZE bytes */
	__u32 bytes;		/* out: RAMREADER_BLOCK_SIZE, or 0 past the end */
	__u32 block;		/* out: the block read (the cursor before) */
};

/*
 * This file's fault hook: the @nth allocation (1-based, counted from this
 * call) made for this file at one of @sites (1 << RAMREADER_SITE_*) fails
 * with -ENOMEM; nth 0 (and sites 0) disarms. Resets the counters.
 */
struct ramreader_fault {
	__u32 sites;
	__u32 nth;
};

struct ramreader_stats {
	__u32 handle;		/* in: a reader, or 0 for none */
	__u32 cursor;		/* out: that reader's next block */
	__u64 live_allocations;	/* out: the module's, every site */
	__u64 candidates;	/* out: allocations the armed hook has seen */
	__u64 injected;		/* out: failures it injected */
};

#define RAMREADER_IOC_MAGIC	0xB7
#define RAMREADER_IOC_CREATE	_IOWR(RAMREADER_IOC_MAGIC, 0x00, struct ramreader_create)
#define RAMREADER_IOC_DESTROY	_IOW(RAMREADER_IOC_MAGIC, 0x01, __u32)
#define RAMREADER_IOC_READ	_IOWR(RAMREADER_IOC_MAGIC, 0x02, struct ramreader_read)
#define RAMREADER_IOC_FAULT	_IOW(RAMREADER_IOC_MAGIC, 0x03, struct ramreader_fault)
#define RAMREADER_IOC_STATS	_IOWR(RAMREADER_IOC_MAGIC, 0x04, struct ramreader_stats)

#endif
