// SPDX-License-Identifier: GPL-2.0
// Small sysfs/debugfs files (module parameters, the fault policy), read and
// written whole, with the errno their store gives back.
#pragma once

#include <string>

namespace harness {

// The file's text without trailing blanks; false when it cannot be opened
// or read.
bool read_text(const std::string &path, std::string &out);
// Writes @text in one write(2): 0 or -errno (what the file's store said).
int write_text(const std::string &path, const std::string &text);

} // namespace harness
