"""A LocalStack Lambda runtime executor that runs the function's `bootstrap` as a process on
this machine, serving it the Lambda Runtime API on a loopback port.

LocalStack's own executor starts a Docker container per execution environment and a Go
runtime-init inside it; neither can run here. This one keeps Lambda's contract as the Runtime
API documents it ("Using the Lambda runtime API for custom runtimes"): the runtime polls
`/invocation/next`, gets the event with its request id, deadline and function ARN in headers,
and posts `/response` or `/error`; a failed init posts `/init/error`.

Where it departs from Lambda (each pinned by tests/stacks/test_lambda.py):
- cold start: the process starts when LocalStack starts the environment, and the environment
  is ready once the runtime first polls for an event (Lambda: the same, plus a 10 s init limit,
  kept here as INIT_SECONDS);
- concurrency: one process serves one invocation at a time, as one Lambda execution
  environment does; LocalStack starts more environments for concurrent invokes;
- environment: the variables LocalStack computes (credentials from its STS, AWS_ENDPOINT_URL
  at LocalStack's gateway, or at the test bed's front when CIDRWATCH_BED_AWS_ENDPOINT names
  one, AWS_LAMBDA_*), plus PATH; no /var/task: LAMBDA_TASK_ROOT is the
  unpacked code's directory and the process runs as the test's user with its file system;
- time limit: past the function's Timeout the process is killed and the invocation answers
  Lambda's `Sandbox.Timedout` error ("Task timed out after N.00 seconds"); the next invoke
  starts a new process (a fresh sandbox, as Lambda's is after a timeout);
- logs: what the process writes while an invocation runs becomes that invocation's log, which
  LocalStack stores in the function's log group; Lambda's START/END/REPORT lines are LocalStack's.
"""

import json
import os
import queue
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from localstack.services.lambda_.invocation.lambda_models import InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import RuntimeExecutor

# Lambda gives a function's init phase 10 s before it fails the environment.
INIT_SECONDS = 10
API = "/2018-06-01/runtime"


class RuntimeApi:
    """The Lambda Runtime API for one process: one invocation at a time."""

    def __init__(self):
        self.events = queue.Queue()
        self.answers = queue.Queue()
        self.polled = threading.Event()
        self.init_error = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != f"{API}/invocation/next":
                    return self.reply(404, b"")
                api.polled.set()
                event = api.events.get()
                if event is None:  # the environment is stopping: the process is gone
                    return
                self.reply(200, event["payload"].encode(), event["headers"])

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == f"{API}/init/error":
                    api.init_error = body.decode(errors="replace")
                    api.polled.set()
                elif self.path.endswith("/response") or self.path.endswith("/error"):
                    request_id = self.path.split("/")[-2]
                    api.answers.put((request_id, body, self.path.endswith("/error")))
                else:
                    return self.reply(404, b"")
                self.reply(202, b"{}")

            def reply(self, status, body, headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self):
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.events.put(None)
        self.server.shutdown()
        self.server.server_close()


class ProcessRuntimeExecutor(RuntimeExecutor):
    """One execution environment: one `bootstrap` process and its Runtime API."""

    def __init__(self, id, function_version):
        super().__init__(id, function_version)
        self.env = {}
        self.api = None
        self.proc = None
        self.output = []
        self.output_lock = threading.Lock()

    def start(self, env_vars):
        self.env = {k: str(v) for k, v in env_vars.items()}
        self._spawn()

    def _spawn(self):
        code = self.function_version.config.code.get_unzipped_code_location()
        self.api = RuntimeApi()
        env = dict(self.env)
        # The function reaches AWS through the test bed's front when one is set, as the e2e
        # tests' own calls do: it stands in for what LocalStack lacks (metric streams).
        if os.environ.get("CIDRWATCH_BED_AWS_ENDPOINT"):
            env["AWS_ENDPOINT_URL"] = os.environ["CIDRWATCH_BED_AWS_ENDPOINT"]
        env.update(
            AWS_LAMBDA_RUNTIME_API=self.api.address,
            LAMBDA_TASK_ROOT=str(code),
            PATH=os.environ.get("PATH", "/usr/bin:/bin"),
        )
        self.proc = subprocess.Popen(
            [str(code / "bootstrap")],
            cwd=str(code),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        deadline = time.monotonic() + INIT_SECONDS
        while not self.api.polled.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                break
        if self.api.init_error is not None or not self.api.polled.is_set():
            why = self.api.init_error or f"exit status {self.proc.poll()}"
            self._kill()
            raise RuntimeError(f"Runtime.InitError: {why}; output: {self._take_output()}")

    def _read(self, proc):
        for line in iter(proc.stdout.readline, b""):
            with self.output_lock:
                self.output.append(line.decode(errors="replace"))

    def _take_output(self):
        with self.output_lock:
            text, self.output = "".join(self.output), []
        return text

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait()
        if self.api:
            self.api.close()

    def invoke(self, payload):
        if self.proc is None or self.proc.poll() is not None:
            self._kill()
            self._spawn()  # a fresh sandbox after a timeout or a crash
        self._take_output()  # what the process wrote between invocations is init's
        request_id = payload["invoke-id"]
        timeout = float(self.function_version.config.timeout)
        started = time.time()
        headers = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(int((started + timeout) * 1000)),
            "Lambda-Runtime-Invoked-Function-Arn": payload["invoked-function-arn"],
            "Lambda-Runtime-Trace-Id": payload.get("trace-id", ""),
        }
        self.api.events.put({"payload": payload["payload"], "headers": headers})
        answer = self._await_answer(request_id, started + timeout)
        if answer is None:
            self._kill()
            body = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"Task timed out after {timeout:.2f} seconds",
            }
            return InvocationResult(request_id, json.dumps(body).encode(), True, self._logs())
        _, body, is_error = answer
        return InvocationResult(request_id, body, is_error, self._logs())

    def _await_answer(self, request_id, deadline):
        while time.time() < deadline:
            try:
                answer = self.api.answers.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    code = self.proc.poll()
                    body = {
                        "errorType": "Runtime.ExitError",
                        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}",
                    }
                    return request_id, json.dumps(body).encode(), True
                continue
            if answer[0] == request_id:
                return answer
        return None

    def _logs(self):
        # The pipe may still hold the last lines written before the answer: wait until it
        # has been quiet for a moment (bounded), so an invocation's log is whole.
        last, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < 0.1:
            with self.output_lock:
                n = len(self.output)
            if n != last:
                last, quiet_since = n, time.monotonic()
            time.sleep(0.02)
        return self._take_output()

    def stop(self):
        self._kill()

    def get_address(self):
        return "127.0.0.1"

    def get_endpoint_from_executor(self):
        # The process runs beside LocalStack: it reaches the gateway on loopback.
        return "127.0.0.1"

    def get_runtime_endpoint(self):
        return f"http://{self.api.address if self.api else '127.0.0.1'}"

    def get_logs(self):
        return self._take_output()

    @classmethod
    def prepare_version(cls, function_version):
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()
            bootstrap = function_version.config.code.get_unzipped_code_location() / "bootstrap"
            if bootstrap.exists():
                bootstrap.chmod(0o755)

    @classmethod
    def cleanup_version(cls, function_version):
        pass

    @classmethod
    def validate_environment(cls):
        return True
