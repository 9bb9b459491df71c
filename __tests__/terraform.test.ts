import { readFileSync, rmSync, writeFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CLOUDKOFFER_PROFILES, CLOUDKOFFER_VERSIONS, CloudkofferVersion } from "../lib/cloudkoffer-profile";
import { NULL_PROVIDER_SOURCE, TALOS_PROVIDER_SOURCE, TLS_PROVIDER_SOURCE } from "../setup/release-sources";
import { machineConfig, TalosClientConfig } from "./support/talos-config";
import { LOCAL_HALF, synthApp, TerraformWorkspace } from "../testing/terraform";
import { describeWith } from "./support/tiers";

/** Applies the local half in `workspace` and returns the generated configurations. */
function applyLocalHalf(workspace: TerraformWorkspace, env: Record<string, string> = {}) {
  workspace.ok(["apply", "-auto-approve", "-no-color", ...LOCAL_HALF], env);
  const outputs = workspace.outputs();
  return {
    outputs,
    controlPlane: machineConfig(outputs.machineconfig_controlplane.value),
    worker: machineConfig(outputs.machineconfig_worker.value),
    talosconfig: parse(String(outputs.talosconfig.value)) as TalosClientConfig,
  };
}

describeWith(["terraform", "talos provider", "null provider", "tls provider", "talos schema"])(
  `the synthesized Terraform with terraform, siderolabs/talos ${TALOS_PROVIDER_SOURCE.version}, hashicorp/null ${NULL_PROVIDER_SOURCE.version} and hashicorp/tls ${TLS_PROVIDER_SOURCE.version}`,
  () => {
    let stacks: string;
    const workspaces: TerraformWorkspace[] = [];
    const workspaceOf = (version: CloudkofferVersion): TerraformWorkspace => {
      const workspace = TerraformWorkspace.copyOf(path.join(stacks, `cloudkoffer-${version}`));
      workspaces.push(workspace);
      return workspace;
    };

    beforeAll(() => {
      stacks = synthApp();
    });
    afterAll(() => {
      workspaces.forEach((workspace) => workspace.remove());
      rmSync(path.dirname(stacks), { recursive: true, force: true });
    });

    describe.each(CLOUDKOFFER_VERSIONS)("cloudkoffer-%s", (version) => {
      test("terraform init from the local mirror, validate and plan succeed", () => {
        const workspace = workspaceOf(version);
        const init = workspace.init();
        expect(init.stdout).toContain(`Installing siderolabs/talos v${TALOS_PROVIDER_SOURCE.version}...`);
        expect(init.stdout).toContain(`Installing hashicorp/null v${NULL_PROVIDER_SOURCE.version}...`);
        expect(init.stdout).toContain(`Installing hashicorp/tls v${TLS_PROVIDER_SOURCE.version}...`);
        workspace.ok(["validate", "-no-color"]);
        const plan = workspace.ok(["plan", "-no-color"]);
        const nodes = CLOUDKOFFER_PROFILES[version].controlPlanes.length + CLOUDKOFFER_PROFILES[version].workers.length;
        // secrets + their backup + the admin key, request and certificate + one apply per node + bootstrap
        // + the kubeconfig kept + the deployed marker + 2 upgrades
        expect(plan.stdout).toContain(`Plan: ${nodes + 10} to add, 0 to change, 0 to destroy.`);
      });
    });

    describe("hand-off: a copy of cdktf.out/stacks/cloudkoffer-v3 outside the project", () => {
      let workspace: TerraformWorkspace;
      beforeAll(() => {
        workspace = workspaceOf("v3");
        workspace.init();
      });

      test("validates and plans with plain terraform", () => {
        workspace.ok(["validate", "-no-color"]);
        expect(workspace.ok(["plan", "-no-color"]).stdout).toContain("Plan: 20 to add");
      });

      test("plans a TF_VAR_nodes override of one control plane and one worker", () => {
        const nodes = '{"controlplane"=["192.168.1.1"],"worker"=["192.168.1.4"]}';
        workspace.ok(["plan", "-no-color", "-out=override.tfplan"], { TF_VAR_nodes: nodes });
        const plan = JSON.parse(workspace.ok(["show", "-json", "override.tfplan"]).stdout) as {
          resource_changes: { address: string; change: { actions: string[] } }[];
        };
        const created = plan.resource_changes
          .filter((change) => change.change.actions.includes("create"))
          .map((change) => change.address)
          .sort();
        expect(created).toEqual([
          'talos_machine_configuration_apply.controlplane["192.168.1.1"]',
          'talos_machine_configuration_apply.worker["192.168.1.4"]',
          "talos_machine_bootstrap.this",
          "talos_machine_secrets.this",
          "tls_private_key.admin",
          "tls_cert_request.admin",
          "tls_locally_signed_cert.admin",
          "null_resource.secrets_backup",
          "null_resource.kubeconfig",
          "null_resource.deployed",
          "null_resource.talos_upgrade",
          "null_resource.kubernetes_upgrade",
        ].sort());
      });
    });

    describe.each(CLOUDKOFFER_VERSIONS)("the local half of cloudkoffer-%s, applied", (version) => {
      const profile = CLOUDKOFFER_PROFILES[version];
      let applied: ReturnType<typeof applyLocalHalf>;
      beforeAll(() => {
        const workspace = workspaceOf(version);
        workspace.init();
        applied = applyLocalHalf(workspace);
      });

      test("every output that carries credentials is sensitive", () => {
        for (const [name, output] of Object.entries(applied.outputs)) {
          expect({ name, sensitive: output.sensitive }).toEqual({ name, sensitive: true });
        }
      });

      test.each(["controlPlane", "worker"] as const)("%s: what all.yaml and the install patch must produce", (role) => {
        const config = applied[role];
        expect(config.machine.install.disk).toBe(profile.installDisk);
        expect(config.machine.install.image).toBe("ghcr.io/siderolabs/installer:v1.7.4");
        expect(config.machine.install.extraKernelArgs).toContain("cpufreq.default_governor=performance");
        expect(config.machine.kubelet.extraArgs?.["rotate-server-certificates"]).toBe("true");
        expect(config.machine.kubelet.extraMounts).toContainEqual({
          destination: "/var/mnt",
          type: "bind",
          source: "/var/mnt",
          options: ["bind", "rshared", "rw"],
        });
        expect(config.machine.files).toContainEqual(
          expect.objectContaining({
            content: '[metrics]\n  address = "0.0.0.0:11234"\n',
            path: "/etc/cri/conf.d/20-customization.part",
            op: "create",
          }),
        );
        expect(config.cluster.discovery.registries).toMatchObject({
          service: { disabled: true },
          kubernetes: { disabled: false },
        });
        expect(config.cluster.network.cni).toEqual({ name: "none" });
        expect(config.cluster.proxy.disabled).toBe(true);
        expect(config.machine.kubelet.image).toBe("ghcr.io/siderolabs/kubelet:v1.30.1");
        expect(config.cluster.controlPlane.endpoint).toBe("https://192.168.1.101:6443");
      });

      test("control plane only: API server SANs, manifests, Cilium job, DHCP and the VIP", () => {
        const { controlPlane, worker } = applied;
        expect(controlPlane.machine.type).toBe("controlplane");
        expect(controlPlane.cluster.clusterName).toBe("cloudkoffer");
        expect(controlPlane.cluster.apiServer?.certSANs).toEqual(expect.arrayContaining(["192.168.1.101", "kube.case.local"]));
        expect(controlPlane.cluster.extraManifests).toEqual([
          "https://raw.githubusercontent.com/alex1989hu/kubelet-serving-cert-approver/v0.8.4/deploy/standalone-install.yaml",
          "https://github.com/kubernetes-sigs/metrics-server/releases/download/v0.7.1/components.yaml",
        ]);
        expect(controlPlane.cluster.inlineManifests?.map((manifest) => manifest.name)).toEqual(["cilium-install"]);
        expect(controlPlane.machine.network?.interfaces).toEqual([
          { deviceSelector: { physical: true }, mtu: 1500, dhcp: true, vip: { ip: "192.168.1.101" } },
        ]);
        for (const component of [controlPlane.cluster.apiServer, controlPlane.cluster.controllerManager, controlPlane.cluster.scheduler]) {
          expect(component?.image).toMatch(/:v1\.30\.1$/);
        }

        expect(worker.machine.type).toBe("worker");
        expect(worker.cluster.extraManifests).toBeUndefined();
        expect(worker.cluster.inlineManifests).toBeUndefined();
        expect(worker.machine.network?.interfaces).toBeUndefined();
      });

      test("the talosconfig names the control planes as endpoints and the first as node", () => {
        expect(applied.talosconfig.context).toBe("cloudkoffer");
        expect(applied.talosconfig.contexts.cloudkoffer).toMatchObject({
          endpoints: [...profile.controlPlanes],
          nodes: [profile.controlPlanes[0]],
        });
      });
    });

    test.each(["1.7.4", "v1.7.4"])("TF_VAR_talos_version=%s plans and applies the local half", (spelling) => {
      const workspace = workspaceOf("v3");
      workspace.init();
      const env = { TF_VAR_talos_version: spelling };
      workspace.ok(["plan", "-no-color", ...LOCAL_HALF], env);
      const { worker } = applyLocalHalf(workspace, env);
      const state = JSON.parse(workspace.ok(["show", "-json"]).stdout);
      const secrets = state.values.root_module.resources.find(
        (resource: { address: string }) => resource.address === "talos_machine_secrets.this",
      );
      expect(secrets.values.talos_version).toBe("v1.7.4");
      expect(worker.machine.install.image).toBe("ghcr.io/siderolabs/installer:v1.7.4");
    });

    test("a wrong patch edited into the handed-off JSON is refused at plan, before anything is applied", () => {
      const workspace = workspaceOf("v3");
      const file = path.join(workspace.dir, "cdk.tf.json");
      const config = JSON.parse(readFileSync(file, "utf8"));
      config.data.talos_machine_configuration.worker.config_patches.push("machine:\n  instal:\n    disk: /dev/sdz\n");
      writeFileSync(file, JSON.stringify(config));
      workspace.init();
      const plan = workspace.run(["plan", "-no-color"]);
      expect(plan.status).not.toBe(0);
      expect(plan.stderr).toMatch(/config_patches are invalid/);
      expect(workspace.stateList()).toEqual([]);
    });
  },
);
