"""The rmtl Jupyter kernel under a stock jupyter_client: the protocol test kit's checks, then
state across cells, errors that lose nothing, interrupting a long `train`, and a message with a bad
signature that must not run. Run by scripts/test-kernel with JUPYTER_PATH naming a temporary
kernelspec install and the working directory a temporary folder."""
import os
import time
import unittest

import jupyter_kernel_test
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session

TIMEOUT = 60


class RMTLKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "rmtl"
    language_name = "rmtl"
    file_extension = ".rmtl"

    code_generate_error = "traon actor"

    completion_samples = [
        {"text": "sessio", "matches": {"sessionize"}},
        {"text": "see", "matches": {"seed"}},
        {"text": "actor es", "matches": {"esmm"}},
        {"text": "split ti", "matches": {"time"}},
    ]
    complete_code_samples = ["seed 1", "for m in [esmm, mmoe] {\n  actor $m\n}", "let x = 2"]
    incomplete_code_samples = ["for m in [esmm, mmoe] {", "for m in [esmm] {\n  actor $m", "let x = [1,"]
    invalid_code_samples = ["seed 1 }"]

    code_inspect_sample = "help train"

    # `show` in the middle of a cell displays its table; a cell ending with `show` or `compare`
    # has that table as its result (Out[n])
    code_display_data = [
        {"code": "record result as shown ctr=[0.7, 0.4, 0.39]\nshow results\nseed 2022", "mime": "text/html"},
    ]
    code_execute_result = [
        {"code": "record result as hist ctr=[0.7, 0.4, 0.39]\nshow results", "mime": "text/html"},
        {"code": "let w = 3\nshow $w * 2", "result": "6"},
    ]

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "record result as hist*"  # matches one of the two cells above

    def test_rmtl_stdout(self):
        self.flush_channels()
        reply, output_msgs = self.execute_helper(code="help seed")
        self.assertEqual(reply["content"]["status"], "ok")
        streams = [m for m in output_msgs if m["msg_type"] == "stream"]
        self.assertTrue(streams)
        self.assertEqual(streams[0]["content"]["name"], "stdout")
        self.assertIn("seed", "".join(m["content"]["text"] for m in streams))

    def test_rmtl_error_is_positioned_and_keeps_state(self):
        self.flush_channels()
        self.execute_helper(code="let kept = 42")
        self.flush_channels()
        reply, output_msgs = self.execute_helper(code="seed 1\ntraon actor")
        self.assertEqual(reply["content"]["status"], "error")
        errors = [m for m in output_msgs if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        text = "\n".join(errors[0]["content"]["traceback"])
        count = reply["content"]["execution_count"]
        self.assertIn(f"cell[{count}]:2:1: error: unknown command 'traon'", text)
        self.assertIn("^", text)
        self.assertIn("did you mean 'train'", text)
        # the variable defined before the failing cell is still there
        self.flush_channels()
        reply, _ = self.execute_helper(code="assert $kept == 42")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_rmtl_inspect_help_train(self):
        self.flush_channels()
        msg_id = self.kc.inspect("help train", 10)
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertTrue(reply["content"]["found"])
        self.assertIn("train actor", reply["content"]["data"]["text/plain"])

    def test_rmtl_complete_code_points(self):
        # "é" is one code point and two UTF-8 bytes: cursor positions count code points
        self.flush_channels()
        code = 'let é = 1\nsessio'
        self.kc.complete(code, len(code))
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        self.assertEqual(reply["content"]["matches"], ["sessionize"])
        self.assertEqual(reply["content"]["cursor_start"], len(code) - len("sessio"))
        self.assertEqual(reply["content"]["cursor_end"], len(code))
        types = reply["content"]["metadata"]["_jupyter_types_experimental"]
        self.assertEqual(types, [{"start": len(code) - 6, "end": len(code), "text": "sessionize", "type": "function"}])

    def test_rmtl_is_complete_indent(self):
        self.flush_channels()
        self.kc.is_complete("for m in [esmm] {")
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        self.assertEqual(reply["content"]["status"], "incomplete")
        self.assertEqual(reply["content"]["indent"], "    ")


def run_cell(kc, code, timeout=TIMEOUT):
    """Executes `code`; returns the reply content and the iopub messages of that request."""
    msg_id = kc.execute(code)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        outputs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    assert reply["parent_header"]["msg_id"] == msg_id
    return reply["content"], outputs


class RMTLKernelBehaviour(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name="rmtl", startup_timeout=TIMEOUT)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=False)

    def test_interrupt_long_train_keeps_state(self):
        data = os.path.abspath("interrupt-data")
        reply, _ = run_cell(self.kc, f'''seed 3
generate retailrocket "{data}" events=20k seed=7
load retailrocket "{data}"
sessionize gap=30m
split time 0.6 0.2 0.2
actor esmm embed=8 bottom=[16] tower=[8]
train actor epochs=2 batch=256 patience=2
eval test as before''', timeout=300)
        self.assertEqual(reply["status"], "ok", reply)
        msg_id = self.kc.execute("train actor epochs=100000 batch=256 patience=100000")
        # wait until the cell is running, then interrupt as JupyterLab's stop button does
        while True:
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                    and msg["content"]["execution_state"] == "busy":
                break
        time.sleep(2)
        started = time.monotonic()
        self.km.interrupt_kernel()
        reply = self.kc.get_shell_msg(timeout=30)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        # data, model and result are intact: evaluate again and compare with the earlier result
        reply, outputs = run_cell(self.kc, "eval test as after\nassert after.ctr.auc > 0 and before.ctr.auc > 0\nshow data")
        self.assertEqual(reply["status"], "ok", reply)

    def test_interrupt_request_on_control(self):
        msg_id = self.kc.execute("sleep 60")
        time.sleep(1)
        started = time.monotonic()
        # jupyter_client's own control-channel interrupt (interrupt_mode "message" path)
        self.kc.control_channel.send(self.kc.session.msg("interrupt_request", {}))
        reply = self.kc.get_shell_msg(timeout=30)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.assertLess(time.monotonic() - started, 10)

    def test_bad_signature_is_not_executed(self):
        marker = os.path.abspath("forged.html")
        forger = Session(key=b"not-the-key", username="mallory")
        forged = forger.msg("execute_request", {"code": f'report "{marker}"', "silent": False,
                                                 "store_history": True, "user_expressions": {},
                                                 "allow_stdin": False, "stop_on_error": True})
        forger.send(self.kc.shell_channel.socket, forged)
        unsigned = Session(key=b"", username="mallory")
        unsigned.send(self.kc.shell_channel.socket, unsigned.msg("execute_request", {"code": f'report "{marker}"'}))
        # a signed request after them is answered; the forged ones never are
        reply, _ = run_cell(self.kc, "seed 11")
        self.assertEqual(reply["status"], "ok")
        time.sleep(1)
        self.assertFalse(os.path.exists(marker), "a message with a bad signature was executed")
        self.assertIsNone(self.kc.shell_channel.get_msg(timeout=0.5) if self.kc.shell_channel.msg_ready() else None)

    def test_malformed_signed_messages_are_dropped(self):
        session = self.kc.session
        header = session.pack(session.msg_header("execute_request"))
        socket = self.kc.shell_channel.socket
        for parts in ([header, b"{}", b"{}", b"not json"], [header, b"{}", b"[]", b"{}"], [header, b"{}"]):
            socket.send_multipart([b"<IDS|MSG>", session.sign(parts)] + parts)
        socket.send_multipart([b"no delimiter at all"])
        reply, _ = run_cell(self.kc, "seed 12")  # still serving, and nothing else was answered
        self.assertEqual(reply["status"], "ok")

    def test_replayed_message_is_not_executed_twice(self):
        run_cell(self.kc, "let n = 0")
        session = self.kc.session
        frames = session.serialize(session.msg("execute_request", {"code": "let n = $n + 1", "silent": False,
                                                                   "store_history": True, "user_expressions": {},
                                                                   "allow_stdin": False, "stop_on_error": True}))
        socket = self.kc.shell_channel.socket
        socket.send_multipart(frames)
        first = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(first["content"]["status"], "ok")
        socket.send_multipart(frames)  # the same signed frames again: a captured message resent
        reply, _ = run_cell(self.kc, "assert $n == 1")
        self.assertEqual(reply["status"], "ok", reply)

    def test_quit_asks_a_console_to_leave(self):
        reply, outputs = run_cell(self.kc, "quit")
        self.assertEqual(reply["status"], "ok")
        self.assertEqual(reply["payload"], [{"source": "ask_exit", "keepkernel": False}])
        reply, _ = run_cell(self.kc, "seed 3")  # the kernel itself goes on
        self.assertEqual(reply["status"], "ok")
        self.assertEqual(reply["payload"], [])

    def test_zz_restart(self):  # last: it replaces the kernel the other tests use
        run_cell(self.kc, "let before_restart = 1")
        old = self.km.provisioner.process
        started = time.monotonic()
        self.km.restart_kernel(now=False)  # shutdown_request with restart=True, then a new process
        self.assertEqual(old.poll(), 0, "the kernel did not leave by itself on shutdown_request")
        self.assertLess(time.monotonic() - started, 10)
        self.kc.wait_for_ready(timeout=TIMEOUT)
        reply, outputs = run_cell(self.kc, "assert $before_restart == 1")
        self.assertEqual(reply["status"], "error")
        self.assertIn("before_restart", "\n".join(reply["traceback"]))


class RMTLKernelOrphan(unittest.TestCase):
    def test_leaves_when_its_parent_dies(self):
        """A kernel whose client was killed (JPY_PARENT_PID gone) must not run on as an orphan."""
        import subprocess, sys
        from jupyter_client.connect import write_connection_file
        from jupyter_client.kernelspec import get_kernel_spec
        argv0 = get_kernel_spec("rmtl").argv[0]
        connection, _ = write_connection_file(os.path.abspath("orphan-connection.json"), key=b"k")
        # a short-lived parent starts the kernel, prints its pid and exits at once
        launcher = subprocess.run([sys.executable, "-c", f"""
import os, subprocess, sys
env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))
p = subprocess.Popen([{argv0!r}, "kernel", "--connection-file", {connection!r}], env=env,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
print(p.pid)
"""], capture_output=True, text=True, timeout=30)
        pid = int(launcher.stdout)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, 9)
        self.fail("the kernel kept running after its parent ended")


if __name__ == "__main__":
    unittest.main(verbosity=2)
