// SPDX-License-Identifier: GPL-2.0
#include "device.h"

#include <cerrno>
#include <cstdio>
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

// ioctl(2) returns -1/errno; the call ioctl returns the method's result.
static int xioctl(int fd, unsigned long cmd, const void *arg)
{
	int r = ioctl(fd, cmd, arg);
	return r < 0 ? -errno : r;
}

int Device::create(dynasync_create &c) const
{
	return xioctl(fd_, DYNASYNC_IOC_CREATE, &c);
}

int Device::destroy(uint32_t handle) const
{
	dynasync_destroy d{};
	d.handle = handle;
	return xioctl(fd_, DYNASYNC_IOC_DESTROY, &d);
}

int Device::call(const dynasync_call &c) const
{
	return xioctl(fd_, DYNASYNC_IOC_CALL, &c);
}

int Device::stats(dynasync_stats &s) const
{
	s = dynasync_stats{};
	return xioctl(fd_, DYNASYNC_IOC_STATS, &s);
}

int Device::layout(dynasync_layout &l) const
{
	return xioctl(fd_, DYNASYNC_IOC_LAYOUT, &l);
}

int Device::fault_set(const dynasync_fault_policy &p) const
{
	return xioctl(fd_, DYNASYNC_IOC_FAULT_SET, &p);
}

int Device::fault_get(dynasync_fault_state &s) const
{
	s = dynasync_fault_state{};
	return xioctl(fd_, DYNASYNC_IOC_FAULT_GET, &s);
}

long module_param(const char *name, long fallback)
{
	std::string path = std::string("/sys/module/dynasync/parameters/") + name;
	FILE *f = std::fopen(path.c_str(), "r");
	if (!f)
		return fallback;
	long v = fallback;
	if (std::fscanf(f, "%ld", &v) != 1)
		v = fallback;
	std::fclose(f);
	return v;
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
