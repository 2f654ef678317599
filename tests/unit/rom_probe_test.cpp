// rom_probe: enabling, reading two bytes and disabling a device's ROM through the kernel double.
#include "ops/rom_probe.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "error.hpp"
#include "support/kernel_double.hpp"
#include "support/temp_host.hpp"

using namespace ptagent;
using ptagent::testing::KernelDouble;
using ptagent::testing::TempHost;

namespace {

const std::string kRom = "/sys/bus/pci/devices/0000:01:00.0/rom";
const PciAddress kGpu = parse_pci_address("0000:01:00.0");

}  // namespace

TEST(RomProbe, AnImageWith55AaIsOkAndTheRomIsDisabledAgain) {
  TempHost h = TempHost::copy_of("workstation");
  h.put(kRom, std::string("\x55\xaa\x7e\xe9", 4));
  KernelDouble k(h.root());
  const RomProbe p = probe_rom(h.root(), k, kGpu);
  EXPECT_EQ(p.result, RomResult::signature_ok) << p.evidence;
  EXPECT_FALSE(p.left_enabled);
  EXPECT_FALSE(k.rom_enabled("0000:01:00.0"));
  const auto calls = k.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].value, "1");
  EXPECT_EQ(calls[1].value, "0");
  EXPECT_EQ(rom_result_name(p.result), "signature-ok");
}

TEST(RomProbe, OtherBytesOrNothingAreNotARom) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  h.put(kRom, std::string("\xff\xff", 2));
  RomProbe p = probe_rom(h.root(), k, kGpu);
  EXPECT_EQ(p.result, RomResult::bad_signature);
  EXPECT_NE(p.evidence.find("ff ff"), std::string::npos) << p.evidence;
  h.put(kRom, "");
  p = probe_rom(h.root(), k, kGpu);
  EXPECT_EQ(p.result, RomResult::unreadable);
  EXPECT_FALSE(k.rom_enabled("0000:01:00.0"));
}

TEST(RomProbe, NoRomAttributeOrAFailedEnable) {
  TempHost h = TempHost::copy_of("workstation");
  KernelDouble k(h.root());
  std::filesystem::remove(h.real(kRom));
  EXPECT_EQ(probe_rom(h.root(), k, kGpu).result, RomResult::absent);
  EXPECT_TRUE(k.calls().empty());
  EXPECT_THROW(probe_rom(h.root(), k, parse_pci_address("0000:09:00.0")), Error);

  TempHost h2 = TempHost::copy_of("workstation");
  KernelDouble k2(h2.root());
  k2.fail_writes_to("/rom", EACCES);
  const RomProbe p = probe_rom(h2.root(), k2, kGpu);
  EXPECT_EQ(p.result, RomResult::not_enabled);
  EXPECT_EQ(p.sys_errno, EACCES);
}

TEST(RomProbe, AFailedDisableIsSaid) {
  TempHost h = TempHost::copy_of("workstation");
  h.put(kRom, std::string("\x55\xaa", 2));
  KernelDouble k(h.root());
  k.fail_nth_write(2, EIO);
  const RomProbe p = probe_rom(h.root(), k, kGpu);
  EXPECT_EQ(p.result, RomResult::signature_ok);
  EXPECT_TRUE(p.left_enabled);
  EXPECT_NE(p.evidence.find("still enabled"), std::string::npos);
}
