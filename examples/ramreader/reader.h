/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The example's C++ side (reader.cpp) as C: reader objects and one async
 * read. Never includes kernel headers (the C++ unit includes it too).
 */
#ifndef RAMREADER_READER_H
#define RAMREADER_READER_H

#include "rt/platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The same numbers as the uapi's RAMREADER_KIND_* (main.c checks). */
enum rr_kind { RR_KIND_RAM = 1, RR_KIND_SLOW = 2, RR_KIND_XOR = 3 };

/* A validated RAMREADER_IOC_CREATE. */
struct rr_spec {
	uint32_t kind;
	uint32_t inner_kind;	/* XOR: RAM or SLOW */
	uint64_t delay_ns;
	uint32_t key;
};

/* The ramdisk: RAMREADER_BLOCKS blocks, filled at init, then only read. */
extern uint8_t rr_disk[8 * 512];

struct rr_object;

/* Measures every impl's read() frame (LayoutTable); at module init. */
void rr_rt_init(void);
size_t rr_rt_frame_size(void);

/*
 * 0 and *@out, or the errno of the allocation that failed (nothing is
 * left allocated then). Every allocation is made with @tag.
 */
int rr_object_create(const struct rr_spec *spec, struct ds_alloc_tag *tag,
		     struct rr_object **out);
void rr_object_destroy(struct rr_object *o);
uint32_t rr_object_cursor(const struct rr_object *o);

/*
 * One read() into @buf (RAMREADER_BLOCK_SIZE bytes). @complete runs
 * exactly once, inline or from the runtime's workqueue, with 0 and
 * @block set, or a negative errno (the cursor did not move). A call that
 * suspends takes a task header first (@header_taken) and frees it after
 * @complete (@header_freed, from the workqueue): the call is over, and
 * nothing of it allocated, when both happened.
 */
struct rr_read_op {
	uint8_t *buf;
	uint32_t block;
	void (*complete)(struct rr_read_op *op, int err);
	void (*header_taken)(struct rr_read_op *op);
	void (*header_freed)(struct rr_read_op *op);
};

void rr_read_start(struct rr_object *o, struct rr_read_op *op);

#ifdef __cplusplus
}
#endif
#endif
