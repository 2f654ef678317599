// UTC time as text: the journal's and the state files' timestamps, the suffixes of backups.
#pragma once

#include <ctime>
#include <string>

namespace ptagent {

// t in UTC through strftime's format.
std::string utc_text(std::time_t t, const char* format);

// Now as 2026-01-31T12:00:00Z (journal entries, mdev and SR-IOV records).
std::string utc_now();

// Now as 20260131T120000Z (suffixes of backup and quarantine files).
std::string utc_stamp();

}  // namespace ptagent
