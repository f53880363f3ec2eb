/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dynasync selftests' helper library (dynasync_lib.c, compiled once):
 * wrappers that return -errno (so assertions name the errno), object
 * constructors that keep track of the handles a test owns, the calls'
 * building blocks over both paths (blocking ioctl, IORING_OP_URING_CMD on
 * a SQE128 ring), STATS, module parameters and the fault injector's
 * ioctls and debugfs files. Nothing here asserts: the helpers that do
 * (they take kselftest_harness.h's _metadata) are in dynasync_util.h.
 */
#ifndef DYNASYNC_SELFTEST_LIB_H
#define DYNASYNC_SELFTEST_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "uapi/dynasync.h"

#define NSEC_PER_MSEC		1000000ULL
#define NSEC_PER_SEC		1000000000ULL
#define DS_PARAM_DIR		"/sys/module/dynasync/parameters/"
#define DS_MAX_TRACKED		512
#define DS_RING_ENTRIES		256
/* How long a test waits for a CQE, or for the module to go quiescent. */
#define DS_WAIT_MS		15000
#define DS_QUIESCE_MS		3000
/* Byte pattern written over out structs before a call: fields the
 * module must zero show up as nonzero if it did not.
 */
#define DS_POISON		0xa5

/* ioctl's return value (>= 0), or -errno. */
int ds_ioctl(int fd, unsigned long cmd, void *arg);

__u64 ds_now_ns(void);

void ds_sleep_ms(unsigned int ms);

/* A page that is mapped, then unmapped: any access faults. */
void *ds_unmapped_page(void);

/* A read-only page holding @len bytes of @src (readable, not writable). */
void *ds_readonly_copy(const void *src, size_t len);

/* A storage configuration with valid defaults for @strategy. */
struct dynasync_storage ds_storage(__u32 strategy);

/* INLINE storage with a slot of @slot bytes. */
struct dynasync_storage ds_inline_slot(__u32 slot);

/* TASK_STACK storage with a stack of @size bytes. */
struct dynasync_storage ds_task_stack(__u32 size);

/* VERSION's flags (DYNASYNC_VERSION_F_*), 0 if it fails. */
__u32 ds_version_flags(void);

/* io_uring cancels suspended calls (ring teardown, exec): 6.7+ builds. */
bool ds_uring_cancel(void);

/* ---- the per-test context ------------------------------------------- */

struct ds {
	int fd;
	bool uring;		/* ds_call() goes through the ring */
	bool ring_up;
	struct io_uring ring;	/* SQE128 */
	__u64 next_ud;
	int nh;
	__u32 h[DS_MAX_TRACKED];	/* handles the test owns */
};

void ds_track(struct ds *ds, __u32 h);

void ds_untrack(struct ds *ds, __u32 h);

/* Opens the device; sets up a SQE128 ring too when @ring. 0 or -errno. */
int ds_open(struct ds *ds, bool uring, bool ring);

/* ---- objects -------------------------------------------------------- */

void ds_create_req(struct dynasync_create *c, __u32 trait,
		   __u32 impl, __u32 in0, __u32 in1, __u64 p0,
		   __u64 p1, const struct dynasync_storage *st);

/* CREATE; the handle (> 0) or -errno. Tracks it, untracks moved inners. */
int ds_create_full(struct ds *ds, struct dynasync_create *c);

int ds_create(struct ds *ds, __u32 trait, __u32 impl, __u32 in0,
	      __u32 in1, __u64 p0, __u64 p1,
	      const struct dynasync_storage *st);

int create_counter(struct ds *ds,
		   const struct dynasync_storage *st,
		   __u64 start, __u64 count);

int create_ticker(struct ds *ds,
		  const struct dynasync_storage *st,
		  __u64 period_ns, __u64 count);

int create_map(struct ds *ds, const struct dynasync_storage *st,
	       __u32 inner, __u64 mul, __u64 add);

int create_take(struct ds *ds, const struct dynasync_storage *st,
		__u32 inner, __u64 limit);

int create_chain(struct ds *ds, const struct dynasync_storage *st,
		 __u32 first, __u32 second);

int create_gadget(struct ds *ds,
		  const struct dynasync_storage *st, __u64 base);

/* DESTROY; 0 or -errno. Untracks on success. */
int ds_destroy(struct ds *ds, __u32 h);

int ds_stats(int fd, struct dynasync_stats *st);

/* LAYOUT's frame_size (>= 0), or -errno; @slot gets slot_size if set. */
long long ds_layout(int fd, __u32 trait, __u32 impl,
		    __u32 method, __u64 *slot);

/* ---- calls ---------------------------------------------------------- */

struct dynasync_call ds_mkcall(__u32 h, __u32 method, __u64 a0,
			       __u64 a1,
			       struct dynasync_call_out *out);

/*
 * Queues one IORING_OP_URING_CMD SQE carrying @c; @cmd_bytes of it are
 * copied into the command area (16 on a ring without SQE128). Not
 * submitted. 0 or -errno.
 */
int ds_prep_cmd(struct io_uring *ring, int fd, __u32 cmd_op,
		const struct dynasync_call *c, size_t cmd_bytes,
		__u64 ud);

int ds_prep_call(struct io_uring *ring, int fd,
		 const struct dynasync_call *c, __u64 ud);

/* Queues and submits one call; 0 or -errno. */
int ds_submit_call(struct io_uring *ring, int fd,
		   const struct dynasync_call *c, __u64 ud);

struct ds_cqe {
	__u64 ud;
	int res;
};

/* Waits up to @ms for one CQE and consumes it. 0 or -errno (-ETIME). */
int ds_wait_cqe(struct io_uring *ring, struct ds_cqe *out,
		unsigned int ms);

/* True when no CQE is waiting now, nor arrives within @ms. */
bool ds_ring_idle(struct io_uring *ring, unsigned int ms);

int call_ioctl(struct ds *ds, const struct dynasync_call *c);

/* ---- a call left in flight ------------------------------------------- */

/*
 * A call started on one path and finished later: through the ring (one
 * SQE), or a blocking ioctl on a thread.
 */
struct ds_async {
	bool uring;
	int fd;
	struct io_uring *ring;
	struct dynasync_call call;
	struct dynasync_call_out out;
	__u64 ud;
	pthread_t th;
	int res;
};

void *ds_async_thread(void *arg);

/* Polls STATS until this file has @n calls in flight (or ms pass). */
int ds_wait_inflight(int fd, __u32 n, unsigned int ms);

/* ---- accounting ----------------------------------------------------- */

bool ds_quiescent(const struct dynasync_stats *st);

/* ---- module parameters ---------------------------------------------- */

/* Writes @val to the parameter; 0 or -errno of open/write. */
int ds_param_write(const char *name, const char *val);

/* The parameter's value (>= 0), or -errno. */
long ds_param_read(const char *name);

int ds_param_set(const char *name, long val);

/* ---- fault injection ------------------------------------------------ */

#define DS_FAULT_DBG_DIR	"/sys/kernel/debug/dynasync/fault/"

int ds_fault_set(int fd, const struct dynasync_fault_policy *p);

/* FAULT_GET into a poisoned @s: fields it does not write show up. */
int ds_fault_get(int fd, struct dynasync_fault_state *s);

/* Disarms the file's policy, zeroing its counters when @reset. */
int ds_fault_off(int fd, bool reset);

__u64 ds_sum_sites(const __u64 *v);

/* The whole text of @path, NUL-terminated: its length, or -errno. */
int ds_read_text(const char *path, char *buf, size_t len);

/* Writes @val to @path in one write(); 0 or -errno. */
int ds_write_text(const char *path, const char *val);

bool ds_dbg_present(void);

/* Writes @val to the global policy's file @name; 0 or -errno. */
int ds_dbg_write(const char *name, const char *val);

int ds_dbg_set(const char *name, long long val);

/* Parses decimal, 0x hex or a negative decimal; 0 or -EPROTO. */
int ds_parse_num(const char *s, long long *v);

/* The value a global policy field reads as; 0 or -errno. */
int ds_dbg_get(const char *name, long long *v);

/* The "@key N" line of the global "state" file; 0 or -errno. */
int ds_dbg_state(const char *key, long long *v);

/* A site as "counters" names it: its number or its name; -1 if neither. */
int ds_site_index(const char *tok);

/*
 * The module-wide "counters" file: a header line, then one line per site
 * "<site> <attempted> <injected> <failed>". Fills the arrays (sites not
 * listed stay 0); the number of site lines, or -errno (-EPROTO: a line
 * that does not parse).
 */
int ds_dbg_counters(__u64 *att, __u64 *inj, __u64 *fail);

#endif /* DYNASYNC_SELFTEST_LIB_H */
