/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an open file's allocations cost: the live bytes charged against
 * the module parameter max_file_bytes (-EDQUOT past it), and the memory
 * cgroup every allocation made for the file is charged to (__GFP_ACCOUNT):
 * the opener's, captured at open, so work done later in a kworker is
 * charged there too. C only; platform.c charges, dev_file.c owns it.
 */
#ifndef DYNASYNC_ACCOUNT_H
#define DYNASYNC_ACCOUNT_H

#include <linux/atomic.h>
#include <linux/types.h>

struct mem_cgroup;

struct ds_account {
	atomic_long_t bytes;		/* live bytes charged */
	struct mem_cgroup *memcg;	/* a reference; NULL without memcg */
};

/* At open: zero bytes, the opener's memcg. */
void ds_account_open(struct ds_account *a);
/* At release, once everything was freed: drops the memcg. */
void ds_account_release(struct ds_account *a);

/* Charges @bytes unless that would pass max_file_bytes (then false). */
bool ds_account_charge(struct ds_account *a, size_t bytes);
void ds_account_uncharge(struct ds_account *a, size_t bytes);
u64 ds_account_bytes(const struct ds_account *a);

/*
 * Brackets allocations made for @a (may be NULL: nothing changes): their
 * __GFP_ACCOUNT charges go to its memcg whatever the context.
 */
struct mem_cgroup *ds_account_enter(const struct ds_account *a);
void ds_account_leave(const struct ds_account *a, struct mem_cgroup *old);

#endif
