// SPDX-License-Identifier: GPL-2.0
#include "text_file.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace harness {

bool read_text(const std::string &path, std::string &out)
{
	int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[128];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	out.assign(buf, n);
	while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
		out.pop_back();
	return true;
}

int write_text(const std::string &path, const std::string &text)
{
	int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text.data(), text.size());
	int err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

} // namespace harness
