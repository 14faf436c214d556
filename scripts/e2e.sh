#!/usr/bin/env bash
# make e2e: start LocalStack (host mode, no Docker) on a free loopback port, run the e2e
# suites against it side by side, and stop it by PID whatever happened.
# - tests/e2e.rs: monitors' lives where alarms are evaluated (waits on one-minute periods);
# - tests/stacks: the templates through LocalStack's CloudFormation, whose Lambda runs our
#   binary as a local process (the test bed's plugins, tests/support/localstack_bed).
set -euo pipefail
cd "$(dirname "$0")/.."
# Built first: tests/stacks zips the binary this builds (target/debug/cidrwatch).
cargo test --test e2e --no-run --quiet
free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
front=$(free_port)
root="$PWD/target/localstack"
rm -rf "$root" && mkdir -p "$root"
pids=()
stop() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap stop EXIT
# The function's AWS: the test bed's front before LocalStack, as the e2e tests' own calls
# have it (it stands in for metric streams, which LocalStack lacks).
FRONT_KEEP_RUNNING=1 setsid .venv/bin/python tests/support/aws_front.py --upstream "$port" "$front" \
  >"$root/front.log" 2>&1 &
pids+=($!)
# OVERRIDE_IN_DOCKER=0: without it LocalStack believes it is in a container and writes to
# /etc/localstack and /var/lib/localstack. No DNS server, no event bus, no certificate fetch.
# LAMBDA_RUNTIME_EXECUTOR=process: the bed's executor runs a function's bootstrap locally.
SERVICES=cloudwatch,sns,sqs,ec2,sts,scheduler,cloudformation,lambda,s3,iam,logs,ssm \
  GATEWAY_LISTEN="127.0.0.1:$port" LAMBDA_RUNTIME_EXECUTOR=process \
  CIDRWATCH_BED_AWS_ENDPOINT="http://127.0.0.1:$front" \
  OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$root" DNS_ADDRESS=0 DISABLE_EVENTS=1 \
  SKIP_SSL_CERT_DOWNLOAD=1 LOCALSTACK_TELEMETRY_DISABLED=1 DISABLE_TELEMETRY=1 \
  setsid .venv-e2e/bin/python -m localstack.runtime.main >"$root/localstack.log" 2>&1 &
pid=$!
pids+=($pid)
for _ in $(seq 120); do
  if .venv/bin/python - "$port" <<'PY' 2>/dev/null; then break; fi
import json, sys, urllib.request
h = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_localstack/health", timeout=2))
sys.exit(0 if h["services"].get("cloudwatch") in ("available", "running") else 1)
PY
  kill -0 "$pid" 2>/dev/null || { echo "LocalStack exited:"; tail -20 "$root/localstack.log"; exit 1; }
  sleep 1
done
echo "LocalStack ready on 127.0.0.1:$port"
# Side by side: the stacks finish in a minute or two while the alarm scenarios wait on periods.
export LOCALSTACK_PORT=$port
(cd tests/stacks && ../../.venv/bin/python -m pytest -q -p no:cacheprovider) >"$root/stacks.log" 2>&1 &
stacks=$!
cargo_status=0
cargo test --test e2e -- --ignored --test-threads=2 || cargo_status=$?
stacks_status=0
wait "$stacks" || stacks_status=$?
echo "--- tests/stacks (CloudFormation through LocalStack) ---"
cat "$root/stacks.log"
if [ "$stacks_status" -ne 0 ]; then echo "LocalStack's log: $root/localstack.log"; fi
[ "$cargo_status" -eq 0 ] && [ "$stacks_status" -eq 0 ]
