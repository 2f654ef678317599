// UUIDs as libvirt writes them (mdev devices, domains) and the name-based UUIDs ptagent derives.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ptagent {

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};

  std::string to_string() const;  // "4b20d080-1b54-4048-85b3-a6a62d165c01", lower case
  auto operator<=>(const Uuid&) const = default;
};

// Accepts the 8-4-4-4-12 form and the 32-digit form without dashes (both as libvirt does),
// hex in either case. Throws Error(usage) naming `what` (e.g. "--uuid") and the problem.
Uuid parse_uuid(std::string_view text, std::string_view what = "UUID");
std::optional<Uuid> try_parse_uuid(std::string_view text);

// The dashed 8-4-4-4-12 form only, hex digits in any case: the form of mdev names in sysfs and
// mdevctl, of domain UUIDs in libvirt's XML and of the journal's entries.
bool is_uuid_text(std::string_view text);
// That form in lower case, or nullopt.
std::optional<std::string> try_parse_uuid_text(std::string_view text);
// The same; throws Error(usage) naming the text.
std::string parse_uuid_text(std::string_view text);
// A random version-4 UUID in the dashed form.
std::string random_uuid_v4();

// RFC 4122 version 5 (SHA-1, name-based) UUID of `name` in the namespace `ns`.
Uuid uuid_v5(const Uuid& ns, std::string_view name);

// The stable UUID of a domain's index-th mdev: version 5 in the domain's UUID as namespace, with
// the name "ptagent-mdev-<index>" (index in decimal). Same inputs, same UUID, on any host.
Uuid derive_mdev_uuid(const Uuid& domain_uuid, unsigned index);

// SHA-1 digest (FIPS 180-4); only for name-based UUIDs, never for security.
std::array<std::uint8_t, 20> sha1(std::string_view data);

}  // namespace ptagent
