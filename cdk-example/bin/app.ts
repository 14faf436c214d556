// Synthesizes the example: `npm run synth` writes cdk.out/CidrwatchMonitors.template.json.
import { App } from "aws-cdk-lib";
import { MonitorsStack } from "../lib/monitors-stack";

const app = new App({ outdir: "cdk.out" });
new MonitorsStack(app, "CidrwatchMonitors");
app.synth();
