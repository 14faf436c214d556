"""The test bed's Lambda executor (tests/support/localstack_bed/cidrwatch_bed/executor.py):
each way it departs from Lambda, pinned with a probe function, and our own binary invoked
through LocalStack's Lambda as a process on loopback."""

import json
import os
import pathlib
import threading

import pytest

from conftest import CODE_BUCKET, client, lambda_zip

PROBE = pathlib.Path(__file__).parent / "probe" / "bootstrap"


def invoke(name, event):
    out = client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode())
    return out.get("FunctionError"), json.loads(out["Payload"].read() or b"null")


@pytest.fixture(scope="module")
def probe(provider):
    client("s3").put_object(Bucket=CODE_BUCKET, Key="probe.zip", Body=lambda_zip(PROBE.read_bytes()))
    lam = client("lambda")
    lam.create_function(
        FunctionName="bed-probe",
        Runtime="provided.al2023",
        Handler="bootstrap",
        Role="arn:aws:iam::000000000000:role/bed-probe",
        Code={"S3Bucket": CODE_BUCKET, "S3Key": "probe.zip"},
        Timeout=2,
        Environment={"Variables": {"PROBE": "set by the function's configuration"}},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="bed-probe")
    return "bed-probe"


def test_an_invocation_sees_lambdas_environment_and_a_loopback_runtime_api(probe):
    error, answer = invoke(probe, {"hello": 1})
    assert error is None, answer
    env = answer["env"]
    host, port = env["AWS_LAMBDA_RUNTIME_API"].split(":")
    assert host == "127.0.0.1" and int(port) > 0
    # The function's AWS is the bed's front on loopback (CIDRWATCH_BED_AWS_ENDPOINT).
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert env["AWS_ENDPOINT_URL"] != f"http://127.0.0.1:{os.environ['LOCALSTACK_PORT']}"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == probe
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]
    # No /var/task: the task root is the unpacked code, and the process runs there.
    assert env["LAMBDA_TASK_ROOT"] == answer["cwd"]
    assert (pathlib.Path(answer["cwd"]) / "bootstrap").exists()
    assert answer["arn"].endswith(f":function:{probe}")
    # The deadline header is the function's Timeout (2 s) from the invocation's start.
    assert 0 < answer["deadline_in"] <= 2


def test_a_warm_environment_is_reused_and_concurrent_invokes_get_their_own(probe):
    _, first = invoke(probe, {})
    _, second = invoke(probe, {})
    assert first["pid"] == second["pid"]  # warm: the same process serves the next invoke
    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(invoke(probe, {"sleep": 1})[1]))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # One process serves one invocation at a time: two at once run in two environments.
    assert len({a["pid"] for a in answers}) == 2, answers


def test_past_its_timeout_an_invocation_fails_as_lambdas_and_the_next_starts_afresh(probe):
    _, before = invoke(probe, {})
    error, answer = invoke(probe, {"sleep": 4})
    assert error == "Unhandled", answer
    assert answer["errorType"] == "Sandbox.Timedout"
    assert answer["errorMessage"] == "Task timed out after 2.00 seconds"
    pids = {invoke(probe, {})[1]["pid"] for _ in range(3)}
    assert before["pid"] not in pids


def test_a_process_that_exits_mid_invocation_fails_it_with_lambdas_exit_error(probe):
    error, answer = invoke(probe, {"exit": True})
    assert error == "Unhandled", answer
    assert answer["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in answer["errorMessage"]
    assert invoke(probe, {})[0] is None  # and the next invocation gets a new process


def test_our_binary_answers_an_invocation_as_a_process_of_its_own(provider):
    error, answer = invoke("cidrwatch-provider", {"describe": True})
    assert error is None, answer
    assert answer["markdown"].startswith("## cidrwatch: address space")
    error, answer = invoke("cidrwatch-provider", {"not": "an event of ours"})
    assert error == "Unhandled"
    assert answer["errorType"] == "UnrecognisedEvent", answer
