// SPDX-License-Identifier: GPL-2.0
// dynasync: the userspace harness that drives the module.
#include <cstdio>
#include <cstring>
#include <string>

#include "device.h"

namespace {

int usage(FILE *out)
{
	std::fprintf(out,
		     "usage: dynasync [--device PATH] [--json] COMMAND\n"
		     "commands:\n"
		     "  version   print the module's ABI version and how it was produced\n");
	return out == stderr ? 2 : 0;
}

int cmd_version(const harness::Device &dev, bool json)
{
	const dynasync_version &v = dev.version();
	bool async = v.flags & DYNASYNC_VERSION_F_ASYNC;
	if (json)
		std::printf("{\"abi_version\": %u, \"async\": %s}\n", v.abi_version,
			    async ? "true" : "false");
	else
		std::printf("dynasync ABI version %u (reply produced by a coroutine "
			    "resumed on the module's workqueue: %s)\n",
			    v.abi_version, async ? "yes" : "no");
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	const char *path = DYNASYNC_DEVICE_PATH;
	bool json = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!std::strcmp(argv[i], "--json"))
			json = true;
		else if (!std::strcmp(argv[i], "--device") && i + 1 < argc)
			path = argv[++i];
		else if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h"))
			return usage(stdout);
		else
			return usage(stderr);
	}
	if (i >= argc)
		return usage(stderr);
	std::string cmd = argv[i];
	if (cmd != "version") {
		std::fprintf(stderr, "dynasync: unknown command '%s'\n", cmd.c_str());
		return usage(stderr);
	}
	harness::Device dev = harness::Device::open(path);
	if (dev.fd() < 0) {
		std::fprintf(stderr, "dynasync: %s\n", dev.error().c_str());
		return 1;
	}
	return cmd_version(dev, json);
}
