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

#endif /* _UAPI_DYNASYNC_H */
