/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libstdc++'s os_defines.h includes <features.h> and asks __GLIBC_PREREQ;
 * the kernel has no libc, so answer "no glibc" and nothing else.
 */
#pragma once
#define __GLIBC_PREREQ(maj, min) 0
