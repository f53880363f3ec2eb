/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's tracepoints (README, section Tracing): one event per step
 * of a call (start, suspend, resume, complete) and one per injected
 * allocation failure. Off by default: a disabled tracepoint is a patched
 * nop (static key). A call is named by its handle and by id, a number
 * given when the call starts while dynasync_call_start is enabled (0 for
 * calls that started before), and, through io_uring, by the SQE's
 * user_data. No kernel pointer is ever recorded.
 */
#ifndef DYNASYNC_TRACE_DEFS
#define DYNASYNC_TRACE_DEFS
#include <linux/errno.h>

#include "uapi/dynasync.h"
#include "ops/objects.h"
#include "rt/platform.h"

/* Registration of the suspend/resume events (trace.c). */
int ds_trace_task_reg(void);
void ds_trace_task_unreg(void);

#define ds_show_method(m)					\
	__print_symbolic(m, { 0, "none" },			\
			 { DYNASYNC_METHOD_NEXT, "next" },	\
			 { DYNASYNC_METHOD_SUM, "sum" },	\
			 { DYNASYNC_METHOD_AUGMENT, "augment" }, \
			 { DYNASYNC_METHOD_COMPONENTS, "components" }, \
			 { DYNASYNC_METHOD_TRANSMIT, "transmit" })

#define ds_show_strategy(s)					\
	__print_symbolic(s, { 0, "none" },			\
			 { DYNASYNC_STRATEGY_BOXED, "boxed" },	\
			 { DYNASYNC_STRATEGY_INLINE, "inline" }, \
			 { DYNASYNC_STRATEGY_MAYBE_BOXED, "maybe_boxed" }, \
			 { DYNASYNC_STRATEGY_CACHED, "cached" }, \
			 { DYNASYNC_STRATEGY_TASK_STACK, "task_stack" }, \
			 { DYNASYNC_STRATEGY_RESERVE, "reserve" })

#define ds_show_site(s)						\
	__print_symbolic(s, { DYNASYNC_SITE_FRAME, "frame" },	\
			 { DYNASYNC_SITE_TASK, "task" },	\
			 { DYNASYNC_SITE_OBJECT, "object" },	\
			 { DYNASYNC_SITE_ARGS, "args" },	\
			 { DYNASYNC_SITE_RESERVE, "reserve" },	\
			 { DYNASYNC_SITE_MISC, "misc" })

/* Who injected a failure (dynasync_fault_inject's policy field). */
#define DS_TRACE_POLICY_FILE	0	/* the open file's FAULT_SET policy */
#define DS_TRACE_POLICY_MODULE	1	/* debugfs dynasync/fault/ */
#define DS_TRACE_POLICY_KERNEL	2	/* the kernel's fail_dynasync attr */

#define ds_show_policy(p)					\
	__print_symbolic(p, { DS_TRACE_POLICY_FILE, "file" },	\
			 { DS_TRACE_POLICY_MODULE, "module" },	\
			 { DS_TRACE_POLICY_KERNEL, "kernel" })

/* The fields every call event starts with: who the call is. */
#define DS_TRACE_CALL_ASSIGN(c)					\
	do {							\
		__entry->id = (c)->trace_id;			\
		__entry->user_data = (c)->user_data;		\
		__entry->handle = (c)->handle;			\
		__entry->method = (c)->method;			\
		__entry->strategy = ds_object_strategy((c)->obj); \
	} while (0)

#define DS_TRACE_CALL_FMT "id=%llu user_data=%llu handle=%u method=%s strategy=%s"

#endif /* DYNASYNC_TRACE_DEFS */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM dynasync

#if !defined(DYNASYNC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define DYNASYNC_TRACE_H

#include <linux/tracepoint.h>

/*
 * A call passed validation and took its object; frame_bytes is the
 * layout table's frame size of the method (LAYOUT; 0: frame-free).
 */
TRACE_EVENT(dynasync_call_start,
	TP_PROTO(const struct ds_call *c, bool uring),
	TP_ARGS(c, uring),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(u64, user_data)
		__field(u32, handle)
		__field(u32, method)
		__field(u32, strategy)
		__field(u32, frame_bytes)
		__field(bool, uring)
	),
	TP_fast_assign(
		DS_TRACE_CALL_ASSIGN(c);
		__entry->frame_bytes = ds_object_frame_bytes(c->obj, c->method);
		__entry->uring = uring;
	),
	TP_printk(DS_TRACE_CALL_FMT " frame_bytes=%u path=%s",
		  __entry->id, __entry->user_data, __entry->handle,
		  ds_show_method(__entry->method),
		  ds_show_strategy(__entry->strategy), __entry->frame_bytes,
		  __entry->uring ? "uring" : "ioctl")
);

/* The call's task suspended (it waits for a timer, event or worker). */
TRACE_EVENT_FN(dynasync_call_suspend,
	TP_PROTO(const struct ds_call *c),
	TP_ARGS(c),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(u64, user_data)
		__field(u32, handle)
		__field(u32, method)
		__field(u32, strategy)
	),
	TP_fast_assign(
		DS_TRACE_CALL_ASSIGN(c);
	),
	TP_printk(DS_TRACE_CALL_FMT,
		  __entry->id, __entry->user_data, __entry->handle,
		  ds_show_method(__entry->method),
		  ds_show_strategy(__entry->strategy)),
	ds_trace_task_reg, ds_trace_task_unreg
);

/* The worker resumes the call's task, or destroys it (cancel=1). */
TRACE_EVENT_FN(dynasync_call_resume,
	TP_PROTO(const struct ds_call *c, bool cancel),
	TP_ARGS(c, cancel),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(u64, user_data)
		__field(u32, handle)
		__field(u32, method)
		__field(u32, strategy)
		__field(bool, cancel)
	),
	TP_fast_assign(
		DS_TRACE_CALL_ASSIGN(c);
		__entry->cancel = cancel;
	),
	TP_printk(DS_TRACE_CALL_FMT " cancel=%d",
		  __entry->id, __entry->user_data, __entry->handle,
		  ds_show_method(__entry->method),
		  ds_show_strategy(__entry->strategy),
		  __entry->cancel),
	ds_trace_task_reg, ds_trace_task_unreg
);

/*
 * The call's result is reported (the ioctl returns, or its CQE is
 * posted next): res as the caller sees it, errno its negation when
 * negative, injected/alloc_failed the allocation failures it met.
 */
TRACE_EVENT(dynasync_call_complete,
	TP_PROTO(const struct ds_call *c, int res),
	TP_ARGS(c, res),
	TP_STRUCT__entry(
		__field(u64, id)
		__field(u64, user_data)
		__field(u32, handle)
		__field(u32, method)
		__field(u32, strategy)
		__field(int, res)
		__field(u32, err)
		__field(u64, value)
		__field(u32, frame_bytes)
		__field(u32, injected)
		__field(u32, alloc_failed)
	),
	TP_fast_assign(
		DS_TRACE_CALL_ASSIGN(c);
		__entry->res = res;
		__entry->err = res < 0 ? -res : 0;
		__entry->value = c->value;
		__entry->frame_bytes = ds_object_frame_bytes(c->obj, c->method);
		__entry->injected = c->injected;
		__entry->alloc_failed = c->alloc_failed;
	),
	TP_printk(DS_TRACE_CALL_FMT " res=%d errno=%u value=%llu frame_bytes=%u injected=%u alloc_failed=%u",
		  __entry->id, __entry->user_data, __entry->handle,
		  ds_show_method(__entry->method),
		  ds_show_strategy(__entry->strategy), __entry->res, __entry->err,
		  __entry->value, __entry->frame_bytes, __entry->injected,
		  __entry->alloc_failed)
);

/*
 * The fault injector failed an allocation of @size bytes at @site: nth is
 * the policy's candidate count at the decision (0 for the kernel's
 * fail_dynasync), errno what the allocation returns.
 */
TRACE_EVENT(dynasync_fault_inject,
	TP_PROTO(unsigned int site, size_t size, u64 nth, unsigned int policy,
		 const struct ds_alloc_tag *tag),
	TP_ARGS(site, size, nth, policy, tag),
	TP_STRUCT__entry(
		__field(u64, nth)
		__field(u64, size)
		__field(u32, site)
		__field(u32, policy)
		__field(u32, err)
		__field(u32, strategy)
		__field(u32, trait)
		__field(u32, method)
	),
	TP_fast_assign(
		__entry->nth = nth;
		__entry->size = size;
		__entry->site = site;
		__entry->policy = policy;
		__entry->err = ENOMEM;
		__entry->strategy = tag ? tag->strategy : 0;
		__entry->trait = tag ? tag->trait : 0;
		__entry->method = tag ? tag->method : 0;
	),
	TP_printk("site=%s nth=%llu size=%llu policy=%s errno=%u strategy=%s trait=%u method=%s",
		  ds_show_site(__entry->site), __entry->nth, __entry->size,
		  ds_show_policy(__entry->policy), __entry->err,
		  ds_show_strategy(__entry->strategy), __entry->trait,
		  ds_show_method(__entry->method))
);

#endif /* DYNASYNC_TRACE_H */

/* Out of tree: define_trace.h finds this file on the include path (Kbuild: -I$(src)/kmod). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE dynasync_trace
#include <trace/define_trace.h>
