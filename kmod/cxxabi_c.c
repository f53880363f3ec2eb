// SPDX-License-Identifier: GPL-2.0
/*
 * C-side C++ ABI hooks (part of the runtime: every module using it links
 * them). A pure virtual call is a bug in the module's own
 * code (never reachable from input): stop loudly rather than jump to 0.
 * panic() directly, because objtool knows it does not return.
 */
#include <linux/kernel.h>
#include <linux/panic.h>

void __cxa_pure_virtual(void);

void __cxa_pure_virtual(void)
{
	panic(KBUILD_MODNAME ": pure virtual method called\n");
}
