#!/usr/bin/env bash
# The CDK construct stands alone: `npm pack` of cdk-example installs into a fresh CDK app in a
# temporary directory, with no repository above it, which synthesizes a monitor; and the
# packed construct still refuses a bad one at synth, by the schema it carries.
set -euo pipefail
cd "$(dirname "$0")/../../cdk-example"
tgz="$PWD/$(npm pack --silent | tail -1)"
app=$(mktemp -d)
trap 'rm -rf "$app" "$tgz"' EXIT
cd "$app"
cdk=$(node -p 'require(process.argv[1]).devDependencies["aws-cdk-lib"]' "$OLDPWD/package.json")
constructs=$(node -p 'require(process.argv[1]).devDependencies.constructs' "$OLDPWD/package.json")
cat > package.json <<JSON
{"name": "pack-check", "private": true,
 "dependencies": {"aws-cdk-lib": "$cdk", "constructs": "$constructs", "cidrwatch-cdk-example": "file:$tgz"}}
JSON
npm install --prefer-offline --no-audit --no-fund --silent
cat > app.js <<'JS'
const { App, Stack } = require("aws-cdk-lib");
const { CidrMonitor } = require("cidrwatch-cdk-example");
const app = new App({ outdir: "out" });
new CidrMonitor(new Stack(app, "Packed"), "Pool", { poolName: process.argv[2] });
app.synth();
JS
node app.js packed-pool
node -e '
const t = require("./out/Packed.template.json");
const pools = Object.values(t.Resources).filter((r) => r.Type === "Custom::CidrMonitor");
if (pools.length !== 1 || pools[0].Properties.PoolName !== "packed-pool") {
  console.error("the packed construct synthesized", JSON.stringify(pools)); process.exit(1);
}'
if node app.js "not a pool name" 2>err.txt; then
  echo "the packed construct accepted PoolName 'not a pool name'"; exit 1
fi
grep -q PoolName err.txt || { echo "the refusal does not name PoolName:"; cat err.txt; exit 1; }
echo "cdk pack: the packed construct synthesizes a monitor in a fresh app and refuses a bad one"
