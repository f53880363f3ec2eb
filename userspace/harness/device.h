// SPDX-License-Identifier: GPL-2.0
// Opening /dev/dynasync with messages a person can act on, and thin
// wrappers over its ioctls that return 0 (or a call's result) or -errno.
#pragma once

#include <string>

#include "uapi/dynasync.h"

namespace harness {

class Device {
public:
	// Opens the device and checks the ABI version. On failure returns a
	// Device with fd() < 0 and error() saying what to do.
	static Device open(const char *path = DYNASYNC_DEVICE_PATH);

	Device(Device &&o) noexcept;
	Device &operator=(Device &&) = delete;
	Device(const Device &) = delete;
	~Device();

	int fd() const { return fd_; }
	const std::string &error() const { return error_; }
	const dynasync_version &version() const { return version_; }

	// Each returns 0 or -errno (call: the method's result or -errno).
	int create(dynasync_create &c) const;
	int destroy(uint32_t handle) const;
	int call(const dynasync_call &c) const;
	int stats(dynasync_stats &s) const;
	int layout(dynasync_layout &l) const;
	// The file's fault-injection policy (FAULT_SET / FAULT_GET).
	int fault_set(const dynasync_fault_policy &p) const;
	int fault_get(dynasync_fault_state &s) const;

private:
	Device() = default;
	int fd_ = -1;
	std::string error_;
	dynasync_version version_{};
};

// A module parameter from /sys/module/dynasync/parameters, or @fallback
// when it cannot be read (older module, no sysfs).
long module_param(const char *name, long fallback);

} // namespace harness
