/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a module calls of the kernel platform layer (platform.c), C only:
 * ds_platform_init() first in its init (it creates the runtime's
 * workqueue, named after the module), ds_platform_exit() last in its exit.
 */
#ifndef DYNASYNC_PLATFORM_GLUE_H
#define DYNASYNC_PLATFORM_GLUE_H

#include <linux/types.h>

int ds_platform_init(void);
/* Drains the workqueue, reports and returns the live allocation count. */
long ds_platform_exit(void);

/* The module's kmalloc, a fail_function target (ALLOW_ERROR_INJECTION). */
void *ds_slab_alloc(size_t size, gfp_t flags);

#endif
