#include "virt/errors.hpp"

#include <gtest/gtest.h>
#include <libvirt/virterror.h>

#include "agent/cli.hpp"

using namespace ptagent;
using namespace ptagent::virt;

namespace {

struct Case {
  LibvirtError error;
  const char* operation;
  const char* cause;
  const char* hint;
  ErrorKind kind;
};

class Translate : public ::testing::TestWithParam<Case> {};

TEST_P(Translate, CauseAndFix) {
  const Case& c = GetParam();
  Translation t = translate(c.error, c.operation);
  EXPECT_NE(t.cause.find(c.cause), std::string::npos) << t.cause;
  const std::string hint = spell(t.hint, cli::flag_of);  // as the CLI shows it
  EXPECT_NE(hint.find(c.hint), std::string::npos) << hint;
  EXPECT_EQ(t.kind, c.kind);
}

INSTANTIATE_TEST_SUITE_P(
    LibvirtMessages, Translate,
    ::testing::Values(
        Case{{VIR_ERR_ARGUMENT_UNSUPPORTED, VIR_FROM_QEMU,
              "argument unsupported: VFIO device assignment is currently not supported on this "
              "system"},
             "detach",
             "IOMMU or vfio is missing",
             "ptagent check",
             ErrorKind::failed},
        Case{{VIR_ERR_INTERNAL_ERROR, VIR_FROM_NODEDEV,
              "internal error: Unable to reset PCI device 0000:00:05.0: no FLR, PM reset or bus "
              "reset available"},
             "reset",
             "cannot be reset on its own",
             "co-assigned",
             ErrorKind::refused},
        Case{{VIR_ERR_OPERATION_INVALID, VIR_FROM_NODEDEV,
              "Requested operation is not valid: PCI device 0000:01:00.0 is in use by driver QEMU, "
              "domain win10"},
             "detach",
             "running domain 'win10'",
             "shut down 'win10'",
             ErrorKind::refused},
        Case{{VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC,
              "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or "
              "directory"},
             "connect",
             "libvirtd is not running",
             "systemctl start libvirtd",
             ErrorKind::failed},
        Case{{VIR_ERR_NO_NODE_DEVICE, VIR_FROM_NODEDEV,
              "Node device not found: no node device with matching name"},
             "lookup",
             "does not know this node device",
             "nodedev-list",
             ErrorKind::not_found},
        Case{{VIR_ERR_NO_DOMAIN, VIR_FROM_QEMU,
              "Domain not found: no domain with matching name 'x'"},
             "lookup",
             "no such domain",
             "virsh list --all",
             ErrorKind::not_found},
        Case{{VIR_ERR_NO_CONNECT, VIR_FROM_NONE, "no connection driver available for bogus:///x"},
             "connect",
             "does not accept this connection URI",
             "qemu:///system",
             ErrorKind::usage},
        Case{{VIR_ERR_INTERNAL_ERROR, VIR_FROM_QEMU,
              "internal error: unexpected qemu URI path '/nonsense', try qemu:///system"},
             "connect",
             "does not accept this connection URI",
             "--connect",
             ErrorKind::usage},
        Case{{VIR_ERR_INTERNAL_ERROR, VIR_FROM_NONE, "something else"},
             "reset",
             "reset failed",
             "journalctl",
             ErrorKind::failed}));

TEST(ThrowLibvirt, KeepsLibvirtsOwnText) {
  LibvirtError e{VIR_ERR_INTERNAL_ERROR, VIR_FROM_NODEDEV,
                 "internal error: Unable to reset PCI device 0000:00:05.0: no FLR, PM reset or bus "
                 "reset available"};
  try {
    throw_libvirt("0000:00:05.0", "reset", e);
    FAIL();
  } catch (const Error& err) {
    std::string what = err.what();
    EXPECT_NE(what.find("0000:00:05.0"), std::string::npos);
    EXPECT_NE(what.find("(libvirt: internal error: Unable to reset"), std::string::npos);
    EXPECT_EQ(err.exit_code(), 1);
  }
}

}  // namespace
