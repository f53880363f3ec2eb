/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference the module meets, in one place: the C
 * glue includes this header instead of testing LINUX_VERSION_CODE itself.
 * Supported and tested: Debian 12's 6.1 and 6.12 LTS kernels (README,
 * section Kernels).
 */
#ifndef DS_COMPAT_H
#define DS_COMPAT_H

#include <linux/fs.h>
#include <linux/version.h>

/* 6.7 moved struct io_uring_cmd and its helpers to <linux/io_uring/cmd.h>. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#include <linux/io_uring/cmd.h>
#else
#include <linux/io_uring.h>
#endif
#include <linux/io_uring_types.h>

/*
 * The SQE128 payload of an IORING_OP_URING_CMD. 6.6 replaced ->cmd with
 * ->sqe and the io_uring_sqe_cmd() accessor.
 */
static inline const void *ds_uring_cmd_payload(const struct io_uring_cmd *ioucmd)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return io_uring_sqe_cmd(ioucmd->sqe);
#else
	return ioucmd->cmd;
#endif
}

/*
 * The request's user_data, for the tracepoints: the SQE's copy io_uring
 * keeps in its io_kiocb (struct io_uring_cmd is the start of it; 6.1 and
 * 6.12 both have cmd_to_io_kiocb() and cqe.user_data), never re-read from
 * the SQE userspace shares.
 */
static inline u64 ds_uring_cmd_user_data(struct io_uring_cmd *ioucmd)
{
	return cmd_to_io_kiocb(ioucmd)->cqe.user_data;
}

/*
 * 6.7 added cancelable URING_CMDs. A command marked with
 * io_uring_cmd_mark_cancelable() (from its issue, with the issue's flags)
 * is handed to ->uring_cmd() again with IO_URING_F_CANCEL when io_uring
 * cancels its requests: a ring's teardown (io_ring_exit_work, every
 * request of the ring) and a task's exec (io_uring_task_cancel). Not by
 * IORING_OP_ASYNC_CANCEL / io_uring_register(SYNC_CANCEL): those look in
 * io-wq, poll, waitid, futex and timeouts only, so for a URING_CMD they
 * return -ENOENT, on 6.12 as on 6.1. Nor at a plain exit(): that cancels
 * only "tracked" requests (those on io_uring files), but exiting closes
 * the task's files, which tears down a ring nobody else holds. The
 * command is guaranteed not to be done (io_uring_cmd_done() not yet
 * called) when the cancel arrives, and io_uring asks again until it is:
 * the driver completes it, now or later. Before 6.7 nothing cancels a
 * URING_CMD: a torn-down ring waits for it.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define DS_HAVE_URING_CANCEL true
static inline bool ds_uring_cmd_cancelling(unsigned int issue_flags)
{
	return issue_flags & IO_URING_F_CANCEL;
}

static inline void ds_uring_cmd_mark_cancelable(struct io_uring_cmd *ioucmd,
						unsigned int issue_flags)
{
	io_uring_cmd_mark_cancelable(ioucmd, issue_flags);
}
#else
#define DS_HAVE_URING_CANCEL false
static inline bool ds_uring_cmd_cancelling(unsigned int issue_flags)
{
	return false;
}

static inline void ds_uring_cmd_mark_cancelable(struct io_uring_cmd *ioucmd,
						unsigned int issue_flags)
{
}
#endif

/* 6.12 removed no_llseek: a NULL ->llseek means "not seekable" (-ESPIPE). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define ds_no_llseek NULL
#else
#define ds_no_llseek no_llseek
#endif

#endif /* DS_COMPAT_H */
