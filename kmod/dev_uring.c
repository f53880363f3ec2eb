// SPDX-License-Identifier: GPL-2.0
/*
 * CALL and CANCEL through IORING_OP_URING_CMD: one CQE per command, posted
 * inline when the call finished at issue, else from the submitter's task
 * work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/kernel.h>
#include <linux/sched.h>

#include "uapi/dynasync.h"
#include "ops/objects.h"
#include "rt/platform.h"
#include "compat.h"
#include "dev.h"
#include "dev_file.h"
#include "fault.h"

/* ---- CALL through io_uring ----------------------------------------------- */

static struct ds_call **ds_uring_pdu(struct io_uring_cmd *ioucmd)
{
	static_assert(sizeof(struct ds_call *) <= sizeof(ioucmd->pdu));
	return (struct ds_call **)ioucmd->pdu;
}

/*
 * Task work of the submitter (a kworker if it is exiting). Runs under the
 * ring's uring_lock, like io_uring's cancel of a marked command: c is
 * freed and the command done (unmarked) before a cancel can look at it.
 */
static void ds_uring_task_cb(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct ds_file *f = ioucmd->file->private_data;
	struct ds_call *c = *ds_uring_pdu(ioucmd);
	int res = ds_call_finish(f, c, current->mm && current->mm == c->mm);

	io_uring_cmd_done(ioucmd, res, 0, issue_flags);
}

/*
 * A suspended call's completion and its issue's end (the command marked
 * cancelable) meet here: the last of the two queues the task work, so the
 * command is never done before it is marked, also when it was issued by
 * io-wq and the submitter runs its task work meanwhile.
 */
enum { DS_URING_RUNNING, DS_URING_ISSUED, DS_URING_COMPLETED };

static void ds_uring_call_done(struct ds_call *c)
{
	if (xchg(&c->glue_state, DS_URING_COMPLETED) == DS_URING_ISSUED)
		io_uring_cmd_complete_in_task(c->glue, ds_uring_task_cb);
}

int ds_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	struct ds_file *f = ioucmd->file->private_data;
	struct dynasync_call uc;
	struct ds_call *c;
	int ret;

	/*
	 * io_uring cancels a call we marked (6.7+: ring teardown, exec): it
	 * is not done, so c is live. Its task is cancelled on the worker and
	 * the call completes as any other, with -ECANCELED unless it ended
	 * first; io_uring asks again until then, which changes nothing.
	 */
	if (ds_uring_cmd_cancelling(issue_flags)) {
		ds_call_cancel(*ds_uring_pdu(ioucmd));
		return 0;
	}
	/* Not a call: answered here, in the CQE (any ring: 16 bytes). */
	if (ioucmd->cmd_op == DYNASYNC_IOC_CANCEL) {
		struct dynasync_cancel cc;

		memcpy(&cc, ds_uring_cmd_payload(ioucmd), sizeof(cc));
		io_uring_cmd_done(ioucmd, ds_cancel(f, &cc), 0, issue_flags);
		return -EIOCBQUEUED;
	}
	atomic64_inc(&f->calls);
	if (ioucmd->cmd_op != DYNASYNC_IOC_CALL) {
		ret = -ENOTTY;
	} else if (!(issue_flags & IO_URING_F_SQE128)) {
		ret = -EINVAL;
	} else {
		/* The SQE is shared with userspace: read it exactly once. */
		memcpy(&uc, ds_uring_cmd_payload(ioucmd), sizeof(uc));
		ret = ds_call_prepare(f, &uc, &c);
	}
	if (ret) {
		atomic64_inc(&f->completions);
		goto done;
	}
	c->glue = ioucmd;
	c->complete = ds_uring_call_done;
	*ds_uring_pdu(ioucmd) = c;
	ds_trace_call_start(c, ioucmd);
	if (ds_call_start(c)) {
		/* Suspended: CANCEL, and io_uring (6.7+), may stop it now. */
		ds_call_publish(f, c);
		ds_uring_cmd_mark_cancelable(ioucmd, issue_flags);
		if (xchg(&c->glue_state, DS_URING_ISSUED) == DS_URING_COMPLETED)
			io_uring_cmd_complete_in_task(ioucmd, ds_uring_task_cb);
		return -EIOCBQUEUED;
	}
	/* Ready at once: the CQE carries the result, no task work. */
	ret = ds_call_finish(f, c, true);
done:
	/*
	 * Completed here, never by returning the result: 6.1's io-wq path
	 * (IOSQE_ASYNC) drops a positive ->uring_cmd return (NEXT's 1, a
	 * COMPONENTS handle) without posting a CQE, and the inline path
	 * fails such a request's links. ublk completes inline the same way.
	 */
	io_uring_cmd_done(ioucmd, ret, 0, issue_flags);
	return -EIOCBQUEUED;
}
