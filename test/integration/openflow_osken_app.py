"""An os-ken (python3-os-ken) controller app for test/integration/openflow_osken_test.cc.

Once a switch connects, it looks for the logical port named after the chain
in ONVM_CHAIN (the onvm agent exposes every chain as a port) and installs one
flow: UDP destination port 53 -> output to that chain, cookie 0xd5, then a
barrier. It asks again every half second until the chain shows up, and logs
"onvm-test: flow installed" once the barrier is answered, or
"onvm-test: error ..." for any OFPT_ERROR.
"""
import os

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import CONFIG_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.lib import hub
from os_ken.ofproto import ofproto_v1_3


class SteerDns(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.chain = os.environ.get("ONVM_CHAIN", "dns")
        self.installed = set()

    @set_ev_cls(ofp_event.EventOFPSwitchFeatures, CONFIG_DISPATCHER)
    def features(self, ev):
        hub.spawn(self.ask_ports, ev.msg.datapath)

    def ask_ports(self, dp):
        while dp.id not in self.installed and dp.is_active:
            dp.send_msg(dp.ofproto_parser.OFPPortDescStatsRequest(dp, 0))
            hub.sleep(0.5)

    @set_ev_cls(ofp_event.EventOFPPortDescStatsReply, [CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def ports(self, ev):
        dp = ev.msg.datapath
        if dp.id in self.installed:
            return
        parser, ofp = dp.ofproto_parser, dp.ofproto
        for port in ev.msg.body:
            name = port.name.decode() if isinstance(port.name, bytes) else port.name
            if name.rstrip("\0") != self.chain:
                continue
            self.installed.add(dp.id)
            match = parser.OFPMatch(eth_type=0x0800, ip_proto=17, udp_dst=53)
            actions = [parser.OFPActionOutput(port.port_no, 0)]
            inst = [parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, actions)]
            dp.send_msg(parser.OFPFlowMod(datapath=dp, cookie=0xD5, priority=100,
                                          match=match, instructions=inst))
            dp.send_msg(parser.OFPBarrierRequest(dp))
            self.logger.info("onvm-test: flow sent to port %d (%s)", port.port_no, name)
            return

    @set_ev_cls(ofp_event.EventOFPBarrierReply, MAIN_DISPATCHER)
    def barrier(self, ev):
        self.logger.info("onvm-test: flow installed")

    @set_ev_cls(ofp_event.EventOFPErrorMsg, [CONFIG_DISPATCHER, MAIN_DISPATCHER])
    def error(self, ev):
        self.logger.error("onvm-test: error type=%d code=%d", ev.msg.type, ev.msg.code)
