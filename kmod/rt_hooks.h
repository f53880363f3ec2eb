/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel platform layer's optional hooks (C only). A module that uses
 * the runtime turns each one on in its Kbuild (DYNASYNC_RT_HOOKS, see
 * kmod/dynasync-rt.kbuild and README "Using the runtime in your module")
 * and then defines the functions below; a hook left off is an inline
 * no-op here, so it costs nothing. Direct calls, not function pointers:
 * the hooks sit on every allocation's path, and the module is linked
 * with its own copy of the platform anyway.
 */
#ifndef DYNASYNC_RT_HOOKS_H
#define DYNASYNC_RT_HOOKS_H

#include <linux/types.h>

#include "rt/platform.h"

struct mem_cgroup;
struct ds_account;

#ifdef DS_RT_HOOK_FAULT
/*
 * Asked before every allocation (@tag may be NULL): true makes it fail
 * with -ENOMEM, as a real failure would.
 */
bool ds_fault_should_fail(unsigned int site, size_t size,
			  struct ds_alloc_tag *tag);
/* An allocation the hook let through failed for real. */
void ds_fault_real_failure(unsigned int site, struct ds_alloc_tag *tag);
#else
static inline bool ds_fault_should_fail(unsigned int site, size_t size,
					struct ds_alloc_tag *tag)
{
	return false;
}

static inline void ds_fault_real_failure(unsigned int site,
					 struct ds_alloc_tag *tag)
{
}
#endif

#ifdef DS_RT_HOOK_ACCOUNT
/*
 * Who pays for an allocation on @tag (NULL: nobody). A refused charge
 * fails it with -EDQUOT; __GFP_ACCOUNT charges go to the memcg that
 * enter() makes active. dynasync's are kmod/account.c, per open file.
 */
struct ds_account *ds_account_of(const struct ds_alloc_tag *tag);
bool ds_account_charge(struct ds_account *a, size_t bytes);
void ds_account_uncharge(struct ds_account *a, size_t bytes);
struct mem_cgroup *ds_account_enter(const struct ds_account *a);
void ds_account_leave(const struct ds_account *a, struct mem_cgroup *old);
#else
static inline struct ds_account *ds_account_of(const struct ds_alloc_tag *tag)
{
	return NULL;
}

static inline bool ds_account_charge(struct ds_account *a, size_t bytes)
{
	return true;
}

static inline void ds_account_uncharge(struct ds_account *a, size_t bytes)
{
}

static inline struct mem_cgroup *ds_account_enter(const struct ds_account *a)
{
	return NULL;
}

static inline void ds_account_leave(const struct ds_account *a,
				    struct mem_cgroup *old)
{
}
#endif

/*
 * DS_RT_HOOK_TRACE: the module defines ds_trace_tasks and ds_trace_task()
 * (rt/platform.h; dynasync's are its tracepoints, kmod/trace.c). Without
 * it the platform defines them: never enabled, never called.
 */

#endif
