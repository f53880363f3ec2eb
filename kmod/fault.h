/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fault injector: one hook every allocation of the module asks first
 * (platform.c, through rt_hooks.h), policies per open file (FAULT_SET/FAULT_GET) and one
 * module-wide (debugfs), counters per site. Semantics are documented with
 * the ABI in uapi/dynasync.h ("Fault injection"). C only.
 */
#ifndef DYNASYNC_FAULT_H
#define DYNASYNC_FAULT_H

#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "uapi/dynasync.h"
#include "rt/platform.h"
#include "account.h"

/* One policy and the state it keeps while armed. */
struct ds_fault_policy {
	spinlock_t lock;
	bool armed;			/* read locklessly on the fast path */
	struct dynasync_fault_policy pol;
	u64 candidates;
	u64 injections;
	s64 times_left;
	u64 space_left;
	u64 interval_count;
	u64 rng;			/* PRNG state, from pol.seed */
};

struct ds_fault_counters {
	atomic64_t attempted[DS_SITE_COUNT];
	atomic64_t injected[DS_SITE_COUNT];
	atomic64_t failed[DS_SITE_COUNT];
};

/*
 * What an open file owns (tags point here): its policy, the counters of
 * its allocations, and what they cost (bytes, memcg).
 */
struct ds_fault_scope {
	struct ds_fault_policy policy;
	struct ds_fault_counters counters;
	struct ds_account account;
};

void ds_fault_scope_init(struct ds_fault_scope *s);

/*
 * The hook: true when the allocation of @size bytes at @site for @tag
 * (may be NULL) must fail. Counts the attempt (and an injection).
 */
bool ds_fault_should_fail(unsigned int site, size_t size,
			  struct ds_alloc_tag *tag);
/* The allocation that was let through failed for real. */
void ds_fault_real_failure(unsigned int site, struct ds_alloc_tag *tag);
/* A failed kernel allocation outside the hook (e.g. the handle table's). */
void ds_fault_scope_failure(struct ds_fault_scope *scope, unsigned int site);

long ds_fault_ioctl_set(struct ds_fault_scope *s,
			struct dynasync_fault_policy __user *uarg);
long ds_fault_ioctl_get(struct ds_fault_scope *s,
			struct dynasync_fault_state __user *uarg);

/* debugfs (<debugfs>/dynasync/fault/) and, if the kernel has it, fail_dynasync. */
void ds_fault_init(void);
void ds_fault_exit(void);

/* Who pays for an allocation on @tag: its open file (rt_hooks.h). */
struct ds_account *ds_account_of(const struct ds_alloc_tag *tag);

#endif
