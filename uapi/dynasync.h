/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dynasync user ABI: shared by the kernel module and userspace.
 *
 * Rules: explicit sizes and padding, reserved fields must be zero (else
 * -EINVAL), no kernel pointers are ever returned. The command number
 * encodes the struct size, so a size mismatch is an unknown command
 * (-ENOTTY).
 */
#ifndef _UAPI_DYNASYNC_H
#define _UAPI_DYNASYNC_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define DYNASYNC_DEVICE_NAME	"dynasync"
#define DYNASYNC_DEVICE_PATH	"/dev/dynasync"

/* Bumped on every incompatible change; userspace must refuse a mismatch. */
#define DYNASYNC_ABI_VERSION	1

#define DYNASYNC_IOC_MAGIC	0xDA

/* Set in dynasync_version.flags by the module. */
/* The reply was produced by a coroutine resumed on a workqueue. */
#define DYNASYNC_VERSION_F_ASYNC	(1U << 0)

struct dynasync_version {
	__u32 abi_version;	/* out: DYNASYNC_ABI_VERSION of the module */
	__u32 flags;		/* out: DYNASYNC_VERSION_F_* */
	__u64 reserved[2];	/* in: must be zero */
};

#define DYNASYNC_IOC_VERSION \
	_IOWR(DYNASYNC_IOC_MAGIC, 0x00, struct dynasync_version)

/* Storage strategies: where a call's future (coroutine frame) lives. */
#define DYNASYNC_STRATEGY_BOXED		1	/* kmalloc per frame */
#define DYNASYNC_STRATEGY_INLINE	2	/* slot in the object */
#define DYNASYNC_STRATEGY_MAYBE_BOXED	3	/* slot, else kmalloc */
#define DYNASYNC_STRATEGY_CACHED	4	/* one reused block */
#define DYNASYNC_STRATEGY_TASK_STACK	5	/* bounded LIFO region per task */
#define DYNASYNC_STRATEGY_RESERVE	6	/* mempool with a reserve */
#define DYNASYNC_STRATEGY_MAX		6

/*
 * Runtime self-check: runs the module's fixed scenario for one strategy
 * inside the kernel (real suspensions on hrtimers and the workqueue,
 * nested and recursive dyn calls, the strategy's own errnos) and reports
 * what it saw. A diagnostic, not a workload: one call at a time per file
 * is enough.
 */
struct dynasync_rt_check {
	__u32 strategy;		/* in: DYNASYNC_STRATEGY_* */
	__u32 reserved0;	/* in: must be zero */
	__u64 value;		/* out: the scenario's computed result */
	__u32 checks;		/* out: in-kernel checks evaluated */
	__u32 failed_check;	/* out: 0, or the 1-based number of the first failed check */
	__u32 live_frames;	/* out: frames of any strategy still live after it */
	__u32 slot_size;	/* out: AsyncIterator layout table's slot size */
	__u64 reserved[2];	/* in: must be zero */
};

#define DYNASYNC_IOC_RT_CHECK \
	_IOWR(DYNASYNC_IOC_MAGIC, 0x01, struct dynasync_rt_check)

#endif /* _UAPI_DYNASYNC_H */
