#!/usr/bin/python3
"""The public API from a foreign client (issue 6, item 9).

Debian's python3-grpcio talks to a real onvm-agent through stubs generated
at test time from proto/onvm/v1 (protoc and grpc_python_plugin, into a
temporary directory). It creates a service, a chain and a rule, lists them,
meets NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, FAILED_PRECONDITION and
UNAUTHENTICATED where the API promises them, and deletes everything again.

No engine is needed: the agent keeps the desired state while it waits for
one. The agent runs with --token-file, so the bearer token travels as a
Python client sends it. Everything it starts it stops by pid, and the
temporary directory goes with it.

Run with /usr/bin/python3 (where python3-grpcio is installed):
  api_client_test.py --agent build/bin/onvm-agent --proto-dir proto \
      [--protoc protoc] [--grpc-python-plugin /usr/bin/grpc_python_plugin]
"""

import argparse
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

TOKEN = "python-client-token-0123456789"
ARGS = None  # parsed command line, set in main()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate_stubs(out_dir):
    os.makedirs(out_dir)
    protos = sorted(glob.glob(os.path.join(ARGS.proto_dir, "onvm", "v1", "*.proto")))
    subprocess.run(
        [ARGS.protoc, "-I", ARGS.proto_dir, "--python_out", out_dir,
         "--grpc_out", out_dir, "--plugin=protoc-gen-grpc=" + ARGS.grpc_python_plugin]
        + protos,
        check=True)
    sys.path.insert(0, out_dir)


class ApiClientTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="onvm-python-test-")
        try:
            generate_stubs(os.path.join(cls.tmp, "stubs"))
        except BaseException:
            shutil.rmtree(cls.tmp)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        from onvm.v1 import chain_pb2_grpc, rule_pb2_grpc, service_pb2_grpc
        token_file = os.path.join(self.tmp, "token")
        with open(os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(TOKEN + "\n")
        state_dir = tempfile.mkdtemp(dir=self.tmp, prefix="state-")
        self.address = "127.0.0.1:%d" % free_port()
        env = dict(os.environ, ONVM_RUN_DIR=self.tmp)  # no /run/onvm needed
        self.log = open(os.path.join(self.tmp, "agent.log"), "w+")
        self.agent = subprocess.Popen(
            [ARGS.agent, "--engine", "pyclient-%d" % os.getpid(), "--listen", self.address,
             "--metrics-listen", "127.0.0.1:0", "--state-dir", state_dir,
             "--token-file", token_file],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.addCleanup(self.stop_agent)
        self.channel = grpc.insecure_channel(self.address)
        self.addCleanup(self.channel.close)
        try:
            grpc.channel_ready_future(self.channel).result(timeout=20)
        except grpc.FutureTimeoutError:
            self.fail("onvm-agent did not start serving on %s:\n%s" % (self.address, self.agent_log()))
        self.services = service_pb2_grpc.ServicesStub(self.channel)
        self.chains = chain_pb2_grpc.ChainsStub(self.channel)
        self.rules = rule_pb2_grpc.RulesStub(self.channel)
        self.auth = (("authorization", "Bearer " + TOKEN),)

    def stop_agent(self):
        if self.agent.poll() is None:
            os.kill(self.agent.pid, signal.SIGTERM)
            try:
                self.agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.agent.pid, signal.SIGKILL)
                self.agent.wait()
        self.log.close()

    def agent_log(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()[-4000:]

    def assertCode(self, code, call, *args, **kwargs):
        """The call fails with `code`; returns the error's details."""
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, timeout=10, **kwargs)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())
        return raised.exception.details()

    def names(self, list_call, request):
        return sorted(item.metadata.name for item in list_call(request, timeout=10).items)

    def test_service_chain_rule_lifecycle(self):
        from onvm.v1 import chain_pb2, meta_pb2, rule_pb2, service_pb2

        def service(name, replicas=1):
            return service_pb2.Service(
                metadata=meta_pb2.ObjectMeta(name=name),
                spec=service_pb2.ServiceSpec(replicas=replicas))

        fw = service_pb2.CreateServiceRequest(service=service("fw"))
        # Changes need the token; reading does not.
        details = self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.services.CreateService, fw)
        self.assertIn("authorization: Bearer", details)
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.services.CreateService, fw,
                        metadata=(("authorization", "Bearer wrong"),))
        self.assertEqual(self.names(self.services.ListServices,
                                    service_pb2.ListServicesRequest()), [])

        created = self.services.CreateService(fw, metadata=self.auth, timeout=10)
        self.assertEqual(created.metadata.name, "fw")
        self.assertGreater(created.status.id, 0)
        # Create is idempotent; the same name with another spec is not.
        self.services.CreateService(fw, metadata=self.auth, timeout=10)
        details = self.assertCode(
            grpc.StatusCode.ALREADY_EXISTS, self.services.CreateService,
            service_pb2.CreateServiceRequest(service=service("fw", replicas=3)),
            metadata=self.auth)
        self.assertIn("fw", details)
        details = self.assertCode(
            grpc.StatusCode.INVALID_ARGUMENT, self.services.CreateService,
            service_pb2.CreateServiceRequest(service=service("Not_A_Label")),
            metadata=self.auth)
        self.assertIn("metadata.name", details)

        chain = chain_pb2.Chain(
            metadata=meta_pb2.ObjectMeta(name="web"),
            spec=chain_pb2.ChainSpec(services=["fw"], then=chain_pb2.ChainEnd(drop=True)))
        self.chains.CreateChain(chain_pb2.CreateChainRequest(chain=chain),
                                metadata=self.auth, timeout=10)
        missing = chain_pb2.Chain(
            metadata=meta_pb2.ObjectMeta(name="bad"),
            spec=chain_pb2.ChainSpec(services=["nosuch"], then=chain_pb2.ChainEnd(drop=True)))
        details = self.assertCode(grpc.StatusCode.NOT_FOUND, self.chains.CreateChain,
                                  chain_pb2.CreateChainRequest(chain=missing),
                                  metadata=self.auth)
        self.assertIn("nosuch", details)

        rule = rule_pb2.Rule(
            metadata=meta_pb2.ObjectMeta(name="web-in"),
            spec=rule_pb2.RuleSpec(
                priority=100,
                match=rule_pb2.Match(ip_proto="tcp", dst_ports="80-443",
                                     dst_prefix="192.0.2.0/24"),
                action=rule_pb2.RuleAction(chain="web")))
        self.rules.CreateRule(rule_pb2.CreateRuleRequest(rule=rule),
                              metadata=self.auth, timeout=10)

        self.assertEqual(self.names(self.services.ListServices,
                                    service_pb2.ListServicesRequest()), ["fw"])
        self.assertEqual(self.names(self.chains.ListChains, chain_pb2.ListChainsRequest()),
                         ["web"])
        self.assertEqual(self.names(self.rules.ListRules, rule_pb2.ListRulesRequest()),
                         ["web-in"])
        got = self.rules.GetRule(rule_pb2.GetRuleRequest(name="web-in"), timeout=10)
        self.assertEqual(got.spec.action.chain, "web")
        self.assertEqual(got.spec.match.dst_ports, "80-443")
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.services.GetService,
                        service_pb2.GetServiceRequest(name="nosuch"))

        # What is in use cannot go.
        details = self.assertCode(grpc.StatusCode.FAILED_PRECONDITION,
                                  self.services.DeleteService,
                                  service_pb2.DeleteServiceRequest(name="fw"),
                                  metadata=self.auth)
        self.assertIn("web", details)
        self.assertCode(grpc.StatusCode.FAILED_PRECONDITION, self.chains.DeleteChain,
                        chain_pb2.DeleteChainRequest(name="web"), metadata=self.auth)
        self.assertCode(grpc.StatusCode.UNAUTHENTICATED, self.rules.DeleteRule,
                        rule_pb2.DeleteRuleRequest(name="web-in"))

        self.rules.DeleteRule(rule_pb2.DeleteRuleRequest(name="web-in"),
                              metadata=self.auth, timeout=10)
        self.chains.DeleteChain(chain_pb2.DeleteChainRequest(name="web"),
                                metadata=self.auth, timeout=10)
        self.services.DeleteService(service_pb2.DeleteServiceRequest(name="fw"),
                                    metadata=self.auth, timeout=10)
        self.assertCode(grpc.StatusCode.NOT_FOUND, self.services.DeleteService,
                        service_pb2.DeleteServiceRequest(name="fw"), metadata=self.auth)
        self.assertEqual(self.names(self.services.ListServices,
                                    service_pb2.ListServicesRequest()), [])
        self.assertEqual(self.names(self.chains.ListChains, chain_pb2.ListChainsRequest()), [])
        self.assertEqual(self.names(self.rules.ListRules, rule_pb2.ListRulesRequest()), [])


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", required=True, help="path of onvm-agent")
    parser.add_argument("--proto-dir", required=True, help="the proto/ directory")
    parser.add_argument("--protoc", default=shutil.which("protoc") or "protoc")
    parser.add_argument("--grpc-python-plugin",
                        default=shutil.which("grpc_python_plugin") or "grpc_python_plugin")
    ARGS, rest = parser.parse_known_args()
    start = time.monotonic()
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False).result
    print("api_client_test: %.1f s" % (time.monotonic() - start))
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
