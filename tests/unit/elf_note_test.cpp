#include "util/elf_note.hpp"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>

#include "ops/hook_install.hpp"

using namespace ptagent;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A minimal 64-bit ELF image with one PT_NOTE segment holding `notes`.
std::string elf_with_notes(const std::string& notes, std::uint64_t align = 4) {
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_phoff = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 1;
  Elf64_Phdr ph{};
  ph.p_type = PT_NOTE;
  ph.p_offset = sizeof eh + sizeof ph;
  ph.p_filesz = notes.size();
  ph.p_align = align;
  std::string image(reinterpret_cast<const char*>(&eh), sizeof eh);
  image.append(reinterpret_cast<const char*>(&ph), sizeof ph);
  return image + notes;
}

std::string note(const std::string& name, std::uint32_t type, const std::string& desc,
                 std::size_t align = 4) {
  auto padded = [align](std::string s) {
    s.resize((s.size() + align - 1) / align * align, '\0');
    return s;
  };
  const std::uint32_t words[3] = {static_cast<std::uint32_t>(name.size() + 1),
                                  static_cast<std::uint32_t>(desc.size()), type};
  return std::string(reinterpret_cast<const char*>(words), sizeof words) +
         padded(name + std::string(1, '\0')) + padded(desc);
}

const std::string kGnu = note("GNU", NT_GNU_BUILD_ID, std::string(20, 'x'));
const std::string kOurs = note("ptagent", kHookNoteType, "ptagent-hook/1");

TEST(ElfNote, FindsTheNoteAfterOthers) {
  EXPECT_TRUE(
      elf_has_note(elf_with_notes(kGnu + kOurs), "ptagent", kHookNoteType, "ptagent-hook/1"));
  EXPECT_TRUE(
      elf_has_note(elf_with_notes(note("ptagent", 7, "x", 8) + note("ptagent", 9, "y", 8), 8),
                   "ptagent", 9, "y"));
}

TEST(ElfNote, NameTypeAndDescriptorMustAllMatch) {
  const std::string image = elf_with_notes(kGnu + kOurs);
  EXPECT_FALSE(elf_has_note(image, "ptagen", kHookNoteType, "ptagent-hook/1"));
  EXPECT_FALSE(elf_has_note(image, "ptagent", kHookNoteType + 1, "ptagent-hook/1"));
  EXPECT_FALSE(elf_has_note(image, "ptagent", kHookNoteType, "ptagent-hook/2"));
  EXPECT_FALSE(elf_has_note(elf_with_notes(kGnu), "ptagent", kHookNoteType, "ptagent-hook/1"));
}

TEST(ElfNote, MalformedImagesHoldNoNote) {
  const std::string image = elf_with_notes(kOurs);
  // Every truncation, and the note's text outside any note (as a string in the data).
  for (std::size_t n = 0; n < image.size(); ++n) {
    EXPECT_FALSE(elf_has_note(image.substr(0, n), "ptagent", kHookNoteType, "ptagent-hook/1")) << n;
  }
  EXPECT_FALSE(elf_has_note("#!/bin/sh\n" + kOurs, "ptagent", kHookNoteType, "ptagent-hook/1"));
  // A descriptor size past the end of the segment.
  std::string bad = kOurs;
  const std::uint32_t huge = 0xfffffff0;
  std::memcpy(bad.data() + 4, &huge, sizeof huge);
  EXPECT_FALSE(elf_has_note(elf_with_notes(bad), "ptagent", kHookNoteType, "ptagent-hook/1"));
  // A segment past the end of the file.
  std::string image2 = elf_with_notes(kOurs);
  Elf64_Phdr ph;
  std::memcpy(&ph, image2.data() + sizeof(Elf64_Ehdr), sizeof ph);
  ph.p_filesz = 1 << 20;
  std::memcpy(image2.data() + sizeof(Elf64_Ehdr), &ph, sizeof ph);
  EXPECT_FALSE(elf_has_note(image2, "ptagent", kHookNoteType, "ptagent-hook/1"));
}

TEST(ElfNote, TheBuiltHookHasItAndOtherProgramsDoNot) {
  // ptagent-hook-sim is built from hooks/main.cpp, like the installed hook.
  EXPECT_TRUE(
      elf_has_note(slurp(PTAGENT_HOOK_SIM_BIN), "ptagent", kHookNoteType, "ptagent-hook/1"));
  EXPECT_FALSE(elf_has_note(slurp("/bin/true"), "ptagent", kHookNoteType, "ptagent-hook/1"));
  EXPECT_TRUE(elf_has_note(slurp("/bin/true"), "GNU", NT_GNU_ABI_TAG, ""));
}

}  // namespace
