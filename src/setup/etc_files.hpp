// Writing configuration files of a (rooted) host: atomic replace (temp file in the same
// directory, fsync, rename, fsync of the directory), the file's mode kept, never through a
// symlink that leaves the root, and a pre-flight that finds an unwritable directory before
// anything is written.
#pragma once

#include <string>
#include <string_view>

namespace ptagent {

class Root;

// Throws Error(failed) naming the directory when `abs`'s directory cannot be created or written
// (read-only /etc, a file where a directory should be). Creates missing directories (0755).
void ensure_writable_dir_for(const Root& root, std::string_view abs);
// Replaces (or creates, mode 0644) the file atomically. Throws Error(failed) naming the file.
void write_file_atomic(const Root& root, std::string_view abs, const std::string& content);
// Removes the file if it exists. Throws Error(failed) naming the file.
void remove_file(const Root& root, std::string_view abs);

}  // namespace ptagent
