// SPDX-License-Identifier: GPL-2.0
/*
 * The module's tracepoints (dynasync_trace.h) are defined here, and the
 * executor's trace hook (rt/platform.h) that the C++ runtime calls on a
 * call task's suspension and resumption while those events are enabled.
 */
#include <linux/compiler.h>

#define CREATE_TRACE_POINTS
#include "dynasync_trace.h"

/*
 * Nonzero while dynasync_call_suspend or dynasync_call_resume has a probe:
 * the C++ side cannot test a static key, so it reads this instead (only
 * where a task suspends or resumes, never on a ready call's path). The
 * (un)registration callbacks run under the tracepoint mutex.
 */
int ds_trace_tasks;
static int ds_trace_task_users;

int ds_trace_task_reg(void)
{
	WRITE_ONCE(ds_trace_tasks, ++ds_trace_task_users);
	return 0;
}

void ds_trace_task_unreg(void)
{
	WRITE_ONCE(ds_trace_tasks, --ds_trace_task_users);
}

void ds_trace_task(const void *cookie, unsigned int event)
{
	const struct ds_call *c = cookie;

	if (event == DS_TRACE_SUSPEND)
		trace_dynasync_call_suspend(c);
	else
		trace_dynasync_call_resume(c, event == DS_TRACE_CANCEL);
}
