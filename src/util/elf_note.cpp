#include "util/elf_note.hpp"

#include <elf.h>

#include <cstring>
#include <optional>

namespace ptagent {

namespace {

template <class T>
std::optional<T> read_at(std::string_view image, std::uint64_t offset) {
  if (offset > image.size() || image.size() - offset < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, image.data() + offset, sizeof(T));
  return value;
}

std::uint64_t pad(std::uint64_t n, std::uint64_t align) {
  return (n + align - 1) / align * align;
}

// The notes of one region [offset, offset + size) laid out with `align` (4 or 8).
bool region_has_note(std::string_view image, std::uint64_t offset, std::uint64_t size,
                     std::uint64_t align, std::string_view name, std::uint32_t type,
                     std::string_view desc) {
  if (offset > image.size() || size > image.size() - offset) return false;
  align = align == 8 ? 8 : 4;
  const std::string_view region = image.substr(offset, size);
  std::uint64_t at = 0;
  while (region.size() - at >= sizeof(Elf64_Nhdr)) {
    // The note header is three 32-bit words in both ELF classes.
    const auto header = read_at<Elf64_Nhdr>(region, at);
    if (!header) return false;
    const std::uint64_t name_at = at + sizeof(Elf64_Nhdr);
    const std::uint64_t desc_at = name_at + pad(header->n_namesz, align);
    const std::uint64_t end = desc_at + pad(header->n_descsz, align);
    if (desc_at > region.size() || header->n_descsz > region.size() - desc_at) return false;
    const std::string_view note_name = region.substr(name_at, header->n_namesz);
    const std::string_view note_desc = region.substr(desc_at, header->n_descsz);
    if (header->n_type == type && note_name.size() == name.size() + 1 &&
        note_name.substr(0, name.size()) == name && note_name.back() == '\0' &&
        note_desc.substr(0, desc.size()) == desc) {
      return true;
    }
    if (end <= at) return false;
    at = end;
    if (at > region.size()) return false;
  }
  return false;
}

template <class Ehdr, class Phdr, class Shdr>
bool has_note(std::string_view image, std::string_view name, std::uint32_t type,
              std::string_view desc) {
  const auto eh = read_at<Ehdr>(image, 0);
  if (!eh) return false;
  if (eh->e_phentsize == sizeof(Phdr)) {
    for (std::uint64_t i = 0; i < eh->e_phnum; ++i) {
      const auto ph = read_at<Phdr>(image, eh->e_phoff + i * sizeof(Phdr));
      if (!ph) break;
      if (ph->p_type == PT_NOTE &&
          region_has_note(image, ph->p_offset, ph->p_filesz, ph->p_align, name, type, desc))
        return true;
    }
  }
  if (eh->e_shentsize == sizeof(Shdr)) {
    for (std::uint64_t i = 0; i < eh->e_shnum; ++i) {
      const auto sh = read_at<Shdr>(image, eh->e_shoff + i * sizeof(Shdr));
      if (!sh) break;
      if (sh->sh_type == SHT_NOTE &&
          region_has_note(image, sh->sh_offset, sh->sh_size, sh->sh_addralign, name, type, desc))
        return true;
    }
  }
  return false;
}

}  // namespace

bool elf_has_note(std::string_view image, std::string_view name, std::uint32_t type,
                  std::string_view desc) {
  if (image.size() < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0) return false;
  const unsigned char byte_order = static_cast<unsigned char>(image[EI_DATA]);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (byte_order != ELFDATA2LSB) return false;
#else
  if (byte_order != ELFDATA2MSB) return false;
#endif
  switch (static_cast<unsigned char>(image[EI_CLASS])) {
    case ELFCLASS64:
      return has_note<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr>(image, name, type, desc);
    case ELFCLASS32:
      return has_note<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr>(image, name, type, desc);
    default:
      return false;
  }
}

}  // namespace ptagent
