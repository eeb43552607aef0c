// The syscall-flow table's slot numbering, shared by the BPF side (which
// writes by slot) and the tracer (which reads every slot back into a flow).
#include <gtest/gtest.h>

#include <set>

#include "model/run.h"

TEST(FlowSlot, EveryKeyHasItsOwnSlotAndComesBack) {
  std::set<unsigned> seen;
  for (unsigned role = 0; role < CS_ROLE_MAX; ++role)
    for (unsigned sys = 0; sys < CS_SYS_MAX; ++sys)
      for (unsigned src = 0; src < CS_FD_MAX; ++src)
        for (unsigned dst = 0; dst < CS_FD_MAX; ++dst) {
          const unsigned slot = cs_flow_slot(role, sys, src, dst);
          ASSERT_LT(slot, static_cast<unsigned>(CS_FLOW_SLOTS));
          EXPECT_TRUE(seen.insert(slot).second) << slot;
          unsigned r, y, s, d;
          cs_flow_unslot(slot, &r, &y, &s, &d);
          EXPECT_EQ(r, role);
          EXPECT_EQ(y, sys);
          EXPECT_EQ(s, src);
          EXPECT_EQ(d, dst);
        }
  EXPECT_EQ(seen.size(), static_cast<size_t>(CS_FLOW_SLOTS));
}
