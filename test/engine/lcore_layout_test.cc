#include "lcore_layout.h"

#include <gtest/gtest.h>

namespace onvm::engine {
namespace {

TEST(LcoreLayoutTest, OneWorkerDoesEverything) {
  LcoreLayout l = PlanLcores({{1, 0}}, {0, -1, 0});
  ASSERT_EQ(l.lcores.size(), 1u);
  EXPECT_EQ(l.lcores[0].role, ONVM_LCORE_WORKER);
  EXPECT_EQ(l.lcores[0].rx_ports, (std::vector<uint16_t>{0, 1, 2}));
  EXPECT_EQ(l.lcores[0].tx_ports, (std::vector<uint16_t>{0, 1, 2}));
  EXPECT_FALSE(l.shared());
  EXPECT_EQ(l.TxLcoreFor(7, 0), 0);
}

TEST(LcoreLayoutTest, TwoLcoresOnOneSocketSplitRxAndTx) {
  LcoreLayout l = PlanLcores({{1, 0}, {2, 0}}, {-1, -1});
  ASSERT_EQ(l.lcores.size(), 2u);
  EXPECT_EQ(l.lcores[0].role, ONVM_LCORE_RX);
  EXPECT_EQ(l.lcores[1].role, ONVM_LCORE_TX);
  EXPECT_EQ(l.lcores[0].rx_ports, (std::vector<uint16_t>{0, 1}));
  EXPECT_TRUE(l.lcores[0].tx_ports.empty());
  EXPECT_EQ(l.lcores[1].tx_ports, (std::vector<uint16_t>{0, 1}));
  EXPECT_EQ(l.port_tx_lcore, (std::vector<uint16_t>{1, 1}));
  EXPECT_TRUE(l.shared());
  // NFs are served by the tx lcore only.
  for (uint32_t id = 1; id < 5; ++id) EXPECT_EQ(l.TxLcoreFor(id, 0), 1);
}

TEST(LcoreLayoutTest, EachSocketGetsItsOwnRxAndTxAndKeepsItsPorts) {
  // Sockets 0 and 1 with two lcores each; ports on 1, 0, 1 and one of
  // unknown socket.
  LcoreLayout l = PlanLcores({{1, 0}, {2, 0}, {3, 1}, {4, 1}}, {1, 0, 1, -1});
  ASSERT_EQ(l.lcores.size(), 4u);
  EXPECT_EQ(l.lcores[0].role, ONVM_LCORE_RX);
  EXPECT_EQ(l.lcores[1].role, ONVM_LCORE_TX);
  EXPECT_EQ(l.lcores[2].role, ONVM_LCORE_RX);
  EXPECT_EQ(l.lcores[3].role, ONVM_LCORE_TX);
  EXPECT_EQ(l.lcores[0].socket, 0);
  EXPECT_EQ(l.lcores[2].socket, 1);
  // Socket-1 ports stay on socket-1 lcores, the socket-0 port on socket 0.
  EXPECT_EQ(l.port_tx_lcore[0], 3);
  EXPECT_EQ(l.port_tx_lcore[1], 1);
  EXPECT_EQ(l.port_tx_lcore[2], 3);
  EXPECT_EQ(l.lcores[2].rx_ports.front(), 0);
  EXPECT_EQ(l.lcores[2].rx_ports[1], 2);
  EXPECT_EQ(l.lcores[0].rx_ports.front(), 1);
  // Every port is polled exactly once and transmitted by exactly one lcore.
  std::vector<int> polled(4), sent(4);
  for (const PacketLcore& lc : l.lcores) {
    for (uint16_t p : lc.rx_ports) ++polled[p];
    for (uint16_t p : lc.tx_ports) ++sent[p];
  }
  EXPECT_EQ(polled, (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(sent, (std::vector<int>{1, 1, 1, 1}));
  // NFs stay on their socket's tx lcore; unknown socket: any tx lcore.
  EXPECT_EQ(l.TxLcoreFor(1, 1), 3);
  EXPECT_EQ(l.TxLcoreFor(2, 0), 1);
  const uint16_t any = l.TxLcoreFor(5, -1);
  EXPECT_TRUE(any == 1 || any == 3);
}

TEST(LcoreLayoutTest, ALoneLcoreOnASocketIsACombinedWorker) {
  LcoreLayout l = PlanLcores({{1, 0}, {2, 0}, {3, 0}, {5, 1}}, {1, 0});
  ASSERT_EQ(l.lcores.size(), 4u);
  EXPECT_EQ(l.lcores[0].role, ONVM_LCORE_RX);
  EXPECT_EQ(l.lcores[1].role, ONVM_LCORE_TX);
  EXPECT_EQ(l.lcores[2].role, ONVM_LCORE_TX);
  EXPECT_EQ(l.lcores[3].role, ONVM_LCORE_WORKER);
  EXPECT_EQ(l.lcores[3].rx_ports, (std::vector<uint16_t>{0}));
  EXPECT_EQ(l.lcores[3].tx_ports, (std::vector<uint16_t>{0}));
  // Two tx lcores on socket 0 share its NFs.
  EXPECT_NE(l.TxLcoreFor(1, 0), l.TxLcoreFor(2, 0));
}

}  // namespace
}  // namespace onvm::engine
