/* SPDX-License-Identifier: GPL-2.0 */
/* Module-private setup of the platform layer (C only). */
#ifndef DYNASYNC_PLATFORM_GLUE_H
#define DYNASYNC_PLATFORM_GLUE_H

int ds_platform_init(void);
/* Drains the workqueue, reports and returns the live allocation count. */
long ds_platform_exit(void);

#endif
