#!/usr/bin/env bash
# make e2e: start LocalStack (host mode, no Docker) on a free loopback port, run the e2e
# tests against it, and stop it by PID whatever happened.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
root="$PWD/target/localstack"
rm -rf "$root" && mkdir -p "$root"
# OVERRIDE_IN_DOCKER=0: without it LocalStack believes it is in a container and writes to
# /etc/localstack and /var/lib/localstack. No DNS server, no event bus, no certificate fetch.
SERVICES=cloudwatch,sns,sqs,ec2,sts,scheduler GATEWAY_LISTEN="127.0.0.1:$port" \
  OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$root" DNS_ADDRESS=0 DISABLE_EVENTS=1 \
  SKIP_SSL_CERT_DOWNLOAD=1 LOCALSTACK_TELEMETRY_DISABLED=1 DISABLE_TELEMETRY=1 \
  setsid .venv-e2e/bin/python -m localstack.runtime.main >"$root/localstack.log" 2>&1 &
pid=$!
stop() { kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
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
LOCALSTACK_PORT=$port cargo test --test e2e -- --ignored --test-threads=2
