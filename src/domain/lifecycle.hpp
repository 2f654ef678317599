// The core of libvirt's qemu hook, one entry point per operation it acts on: prepare (check and
// start a domain's devices), release / stopped (undo what prepare did), reconnect. Each takes the
// domain XML libvirt passed and returns what happened; the hook maps that to libvirt's contract
// (exit status, the stderr paragraph libvirt shows the user). Never prints.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/start.hpp"
#include "error.hpp"

namespace ptagent::domain {

struct PrepareOutcome {
  enum class Result {
    nothing_to_do,  // no host device, no mdev, no metadata
    started,        // every check passed, every change made
    bad_xml,        // the domain XML (or its ptagent metadata) cannot be used: `error`
    refused,        // a check refused or a change failed (and was undone): `error`
  };
  Result result = Result::nothing_to_do;
  std::string uuid;                     // the domain's (empty for bad_xml)
  std::optional<Error> error;           // bad_xml, refused
  std::vector<std::string> not_undone;  // refused: changes the rollback could not undo
  std::vector<std::string> accepted;    // started: warnings the domain accepts ("code: evidence")
};

// The domain XML read (the metadata strictly, then against ptagent-metadata.rng), the leftovers
// of an earlier start undone, the admission rules checked on one inventory scan and one reading
// of the journal and libvirt's status files, then the start carried out (undone on failure).
PrepareOutcome prepare(const StartDeps& deps, std::string_view domain_xml);

struct ReleaseOutcome {
  enum class Result {
    nothing_to_do,  // no UUID in the XML
    released,       // every change of the domain undone (or none recorded)
    bad_xml,        // the domain XML does not parse: `error`
    not_undone,     // some changes stay: `not_undone`
    failed,         // the lock or the journal failed: `error`
  };
  Result result = Result::nothing_to_do;
  std::string uuid;
  std::optional<Error> error;
  std::vector<std::string> not_undone;
};

// Undoes every change the journal holds for the domain.
ReleaseOutcome release(const StartDeps& deps, std::string_view domain_xml);
// The same: libvirt sends `stopped` (QEMU gone) before `release`; whichever comes first undoes.
ReleaseOutcome stopped(const StartDeps& deps, std::string_view domain_xml);

// libvirtd restarted and found the domain running: nothing to do (the journal under /run/ptagent
// outlives libvirtd). Here so that every operation the hook hears of has its place.
void reconnect(const StartDeps& deps, std::string_view domain_xml);

}  // namespace ptagent::domain
