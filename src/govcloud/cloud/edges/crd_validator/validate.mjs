// Validates Kubernetes custom resources against the schemas generated from their upstream CRDs
// (@kubernetes-models/gateway-api, @kubernetes-models/cert-manager: ajv validators compiled from the CRDs'
// openAPIV3Schema). Reads a JSON array of manifests on stdin; writes one JSON result per manifest:
// {"known": bool, "errors": [{"path": "/spec/listeners/0/name", "keyword": "pattern", "params": {...}}]}.
// `--kinds` lists the apiVersion/kind pairs it knows instead. No network, no state.
import * as gatewayV1 from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import * as gatewayV1beta1 from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1";
import * as certManagerV1 from "@kubernetes-models/cert-manager/cert-manager.io/v1";
import * as acmeV1 from "@kubernetes-models/cert-manager/acme.cert-manager.io/v1";

const models = new Map();
for (const module of [gatewayV1, gatewayV1beta1, certManagerV1, acmeV1]) {
  for (const exported of Object.values(module)) {
    if (typeof exported === "function" && exported.apiVersion && exported.kind) {
      models.set(`${exported.apiVersion} ${exported.kind}`, exported);
    }
  }
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

if (process.argv.includes("--kinds")) {
  process.stdout.write(JSON.stringify([...models.keys()].sort()));
} else {
  const manifests = JSON.parse(await readStdin());
  const results = manifests.map((manifest) => {
    const model = models.get(`${manifest.apiVersion} ${manifest.kind}`);
    if (!model) return { known: false, errors: [] };
    try {
      new model(manifest).validate();
      return { known: true, errors: [] };
    } catch (error) {
      const details = Array.isArray(error.errors) ? error.errors : [{ instancePath: "", keyword: "error", params: { message: String(error) } }];
      return {
        known: true,
        errors: details.map((d) => ({ path: d.instancePath ?? "", keyword: d.keyword ?? "", params: d.params ?? {}, message: d.message ?? null })),
      };
    }
  });
  process.stdout.write(JSON.stringify(results));
}
