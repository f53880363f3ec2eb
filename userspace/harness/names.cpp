// SPDX-License-Identifier: GPL-2.0
#include "names.h"

#include <cerrno>
#include <cstdlib>
#include <strings.h>

#include "uapi/dynasync.h"

namespace harness {

namespace {

const char *const kStrategies[] = {
	nullptr, "boxed", "inline", "maybe-boxed", "cached", "task-stack", "reserve",
};
const char *const kTraits[] = { nullptr, "iterator", "widget" };
const char *const kImpls[] = {
	nullptr, "counter", "ticker", "map", "take", "chain", "gadget",
};
const char *const kMethods[] = {
	nullptr, "next", "sum", "augment", "components", "transmit",
};

struct ErrnoName {
	int err;
	const char *name;
};
// Every errno the ABI documents, plus the ones a broken ring or device
// might produce, so a report never shows a bare number for them.
const ErrnoName kErrnos[] = {
	{ ENOMEM, "ENOMEM" },	{ E2BIG, "E2BIG" },	  { EBUSY, "EBUSY" },
	{ ENOSPC, "ENOSPC" },	{ ETIMEDOUT, "ETIMEDOUT" }, { EINTR, "EINTR" },
	{ ENOENT, "ENOENT" },	{ EMFILE, "EMFILE" },	  { ENOBUFS, "ENOBUFS" },
	{ ELOOP, "ELOOP" },	{ EOVERFLOW, "EOVERFLOW" }, { EINVAL, "EINVAL" },
	{ EFAULT, "EFAULT" },	{ ENOTTY, "ENOTTY" },	  { ECANCELED, "ECANCELED" },
	{ EAGAIN, "EAGAIN" },	{ EOPNOTSUPP, "EOPNOTSUPP" }, { EBADF, "EBADF" },
	{ EPERM, "EPERM" },	{ EACCES, "EACCES" },	  { EIO, "EIO" },
	{ ENODEV, "ENODEV" },	{ ENXIO, "ENXIO" },	  { EDQUOT, "EDQUOT" },
};

template <size_t N>
const char *lookup(const char *const (&names)[N], uint32_t i)
{
	return i > 0 && i < N ? names[i] : "?";
}

} // namespace

const char *strategy_name(uint32_t s) { return lookup(kStrategies, s); }
const char *trait_name(uint32_t t) { return lookup(kTraits, t); }
const char *impl_name(uint32_t i) { return lookup(kImpls, i); }
const char *method_name(uint32_t m) { return lookup(kMethods, m); }

std::string errno_name(int err)
{
	for (const ErrnoName &e : kErrnos)
		if (e.err == err)
			return e.name;
	return "E" + std::to_string(err);
}

uint32_t parse_strategy(const std::string &name)
{
	for (uint32_t s = 1; s <= DYNASYNC_STRATEGY_MAX; s++) {
		if (!strcasecmp(name.c_str(), kStrategies[s]))
			return s;
	}
	// Also accept the header's spelling: maybe_boxed, task_stack.
	std::string dashed = name;
	for (char &c : dashed)
		if (c == '_')
			c = '-';
	if (dashed != name)
		return parse_strategy(dashed);
	return 0;
}

int parse_errno(const std::string &name)
{
	for (const ErrnoName &e : kErrnos)
		if (!strcasecmp(name.c_str(), e.name))
			return e.err;
	char *end = nullptr;
	long v = std::strtol(name.c_str(), &end, 10);
	if (!name.empty() && *end == '\0' && v > 0 && v < 4096)
		return static_cast<int>(v);
	return 0;
}

uint32_t impl_trait(uint32_t impl)
{
	if (impl >= DYNASYNC_IMPL_COUNTER && impl <= DYNASYNC_IMPL_CHAIN)
		return DYNASYNC_TRAIT_ITERATOR;
	if (impl == DYNASYNC_IMPL_GADGET)
		return DYNASYNC_TRAIT_WIDGET;
	return 0;
}

bool method_of_trait(uint32_t method, uint32_t trait)
{
	if (trait == DYNASYNC_TRAIT_ITERATOR)
		return method == DYNASYNC_METHOD_NEXT || method == DYNASYNC_METHOD_SUM;
	if (trait == DYNASYNC_TRAIT_WIDGET)
		return method >= DYNASYNC_METHOD_AUGMENT && method <= DYNASYNC_METHOD_TRANSMIT;
	return false;
}

} // namespace harness
