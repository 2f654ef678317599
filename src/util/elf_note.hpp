// ELF notes: finding one note (name, type, descriptor) in an executable's bytes. A note lives in
// an allocated section that the optimiser cannot drop (it is data marked used and retained) and
// that strip keeps (strip removes only what the program does not load), so it identifies a
// binary however it was built.
#pragma once

#include <cstdint>
#include <string_view>

namespace ptagent {

// True when `image` (a whole ELF file, 32- or 64-bit, of this machine's byte order) holds a note
// named `name` (without its NUL) of `type` whose descriptor starts with `desc`. Looks in the note
// sections and the PT_NOTE segments; anything malformed or truncated is no note (never reads
// outside `image`).
bool elf_has_note(std::string_view image, std::string_view name, std::uint32_t type,
                  std::string_view desc);

}  // namespace ptagent
