// SPDX-License-Identifier: GPL-2.0
// Opening /dev/dynasync with messages a person can act on.
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

private:
	Device() = default;
	int fd_ = -1;
	std::string error_;
	dynasync_version version_{};
};

} // namespace harness
