// SPDX-License-Identifier: GPL-2.0
#include "device.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace harness {

Device Device::open(const char *path)
{
	Device d;
	d.fd_ = ::open(path, O_RDWR | O_CLOEXEC);
	if (d.fd_ < 0) {
		int e = errno;
		d.error_ = std::string(path) + ": " + std::strerror(e);
		if (e == ENOENT)
			d.error_ += " (is the dynasync module loaded? insmod dynasync.ko)";
		else if (e == EACCES || e == EPERM)
			d.error_ += " (the device is mode 0600: run as root)";
		return d;
	}
	dynasync_version v{};
	if (ioctl(d.fd_, DYNASYNC_IOC_VERSION, &v) != 0) {
		int e = errno;
		d.error_ = std::string("VERSION ioctl failed: ") + std::strerror(e);
		if (e == ENOTTY)
			d.error_ += " (this is not a dynasync device, or an incompatible module)";
		::close(d.fd_);
		d.fd_ = -1;
		return d;
	}
	if (v.abi_version != DYNASYNC_ABI_VERSION) {
		d.error_ = "ABI version mismatch: module speaks " +
			   std::to_string(v.abi_version) + ", this harness " +
			   std::to_string(DYNASYNC_ABI_VERSION) +
			   " (rebuild both from the same tree)";
		::close(d.fd_);
		d.fd_ = -1;
		return d;
	}
	d.version_ = v;
	return d;
}

Device::Device(Device &&o) noexcept
	: fd_(o.fd_), error_(std::move(o.error_)), version_(o.version_)
{
	o.fd_ = -1;
}

Device::~Device()
{
	if (fd_ >= 0)
		::close(fd_);
}

} // namespace harness
