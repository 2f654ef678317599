// Replacing a file atomically: a temporary file beside it, written, fsynced, renamed over it, the
// directory fsynced. A reader sees the old contents or the new ones, never a mix.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace ptagent {

// The steps of one replacement, in order.
enum class ReplaceStep { create_temp, write_temp, fsync_temp, rename, fsync_dir };

// Called before each step; a non-zero return fails that step with that errno as if the system
// call had (the tests' fault injection). Empty: no faults.
using ReplaceFault = std::function<int(ReplaceStep)>;

struct ReplaceFailure {
  ReplaceStep step;
  int error;  // errno
};

// Replaces `name` in the open directory dirfd with `content`, through `temp_name` in the same
// directory: any stale temporary file removed, the new one created exclusively (never through a
// symlink) and given `mode`, written, fsynced and closed, renamed over `name`; then the directory
// is fsynced. A failure before the rename removes the temporary file and leaves `name` as it was;
// a failed fsync of the directory comes after the rename (the new file is in place). nullopt
// when every step worked.
std::optional<ReplaceFailure> replace_file_at(int dirfd, const std::string& name,
                                              const std::string& temp_name,
                                              std::string_view content, mode_t mode,
                                              const ReplaceFault& fault = {});

// Writes all of data (retrying short writes and EINTR). 0 or the errno of the failed write(2).
int write_all(int fd, std::string_view data);

}  // namespace ptagent
