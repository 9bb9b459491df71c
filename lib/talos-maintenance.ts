import { readFileSync } from "fs";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { Fn, IResolvable, ITerraformDependable, Op, Token } from "cdktf";
import { Construct } from "constructs";
import { TALOS_INSTALLER_IMAGE } from "./install-patch";
import { TALOSCTL_INSTALL_HINT } from "./talosctl-install";
import { projectPath } from "./project-paths";
import { terraformLiteral } from "./terraform-literal";
import { Address, ADDRESSES } from "./addresses";
import { atAddress } from "./terraform-address";

/** Properties of {@link TalosMaintenance}. */
export interface TalosMaintenanceProps {
  /** Talos version with its leading "v" (a token). */
  readonly talosVersion: string;
  /** Kubernetes version (a token). */
  readonly kubernetesVersion: string;
  /** Control-plane addresses, in the order they are upgraded (a token). */
  readonly controlPlaneNodes: string[];
  /** Worker addresses, upgraded after the control planes (a token). */
  readonly workerNodes: string[];
  /** The talosconfig talosctl uses (sensitive; it only reaches a 0600 file). */
  readonly talosconfig: string;
  /** Upgrade with `--stage` and `talosctl reboot --wait` (a boolean token). */
  readonly stage: IResolvable;
  /** What makes the cluster deployed: every apply and the bootstrap. */
  readonly deployedAfter: ITerraformDependable[];
  /** The wait for the cluster to be healthy: no upgrade starts before it passed. */
  readonly healthy: ITerraformDependable;
  /** How long the upgrades wait for the cluster to be healthy again, after each node (a duration token). */
  readonly healthTimeout: string;
  /** Whether they wait at all (a boolean token). */
  readonly healthWait: IResolvable;
  /** The stack's name: the etcd backups are named by it. */
  readonly stackName: string;
  /** Where each upgrade writes its etcd backup first (a token, relative to the working directory). */
  readonly etcdBackupDir: string;
  /** How many etcd backups of the stack stay (a token). */
  readonly etcdBackupKeep: number;
  /**
   * Seal the backups with the state's passphrase (TF_VAR_state_passphrase), as an encrypted state's are.
   * @default false
   */
  readonly sealBackups?: boolean;
}

/**
 * The shell script an upgrade runs, after the talosctl session both share,
 * inlined so that the synthesized folder stands alone.
 */
function script(name: string): string {
  const read = (file: string): string => readFileSync(projectPath("lib", "maintenance", file), "utf8");
  return terraformLiteral(`${read("talosctl-session.sh")}\n${read(name)}`);
}

/**
 * The seed's maintenance steps as part of the stack, with the null provider:
 * a change of `talos_version` upgrades the nodes one at a time (control
 * planes first, then workers, each back before the next), a change of
 * `kubernetes_version` runs `talosctl upgrade-k8s` once, after any Talos roll.
 * Provider 0.5.0 does neither.
 *
 * Nothing runs while the versions stay, and nothing on the deploy that
 * installs the cluster: `null_resource.deployed` records the plan time of
 * that deploy, so an upgrade that sees its own plan time there knows the
 * nodes were just installed with the version it was asked for. It records
 * the versions the cluster was installed with too: a first deploy that was
 * interrupted before its upgrade resources were created resumes as a first
 * deploy, the Talos roll asking the nodes what they run, the Kubernetes
 * upgrade comparing with the installed version, neither needing talosctl.
 */
export class TalosMaintenance extends Construct {
  /** `null_resource.deployed`: when the cluster was first fully deployed. */
  readonly deployed: Resource;
  /** `null_resource.talos_upgrade`: the rolling Talos upgrade. */
  readonly talosUpgrade: Resource;
  /** `null_resource.kubernetes_upgrade`: the Kubernetes upgrade. */
  readonly kubernetesUpgrade: Resource;

  constructor(scope: Construct, id: string, props: TalosMaintenanceProps) {
    super(scope, id);

    // A null_resource rather than terraform_data: cdktf runs `terraform version` at every synth
    // to check that terraform_data is supported, and synth runs on every deploy.
    this.deployed = atAddress(
      new Resource(this, "deployed", {
        triggers: { plan_time: Fn.plantimestamp(), talos_version: props.talosVersion, kubernetes_version: props.kubernetesVersion },
        dependsOn: props.deployedAfter,
        lifecycle: { ignoreChanges: ["triggers"] },
      }),
      ADDRESSES.deployed,
    );
    const firstDeploy = Fn.conditional(
      Op.eq(Fn.lookup(this.deployed.triggers, "plan_time"), Fn.plantimestamp()),
      "true",
      "false",
    );
    // talosctl reads it from a 0600 file the script writes; Terraform prints neither environment nor
    // script output of secrets, but with a sensitive value it would hide the whole output, errors included.
    const talosconfig = Fn.nonsensitive(props.talosconfig);
    // What the cluster was installed with; "unrecorded" in a state from before it was recorded
    // (not "": cdktf's Fn.lookup drops a falsy default, which fails the plan of such a state).
    const installed = (version: string) => Fn.lookup(this.deployed.triggers, version, "unrecorded");

    // An upgrade: a null_resource replaced when its version changes, running its script then.
    const upgrade = (
      id: string,
      address: Address,
      triggers: Record<string, string>,
      dependsOn: ITerraformDependable[],
      scriptName: string,
      environment: Record<string, string>,
    ) =>
      atAddress(
        new Resource(this, id, {
          triggers,
          dependsOn,
          provisioners: [
            {
              type: "local-exec",
              interpreter: ["/bin/bash", "-c"],
              command: script(scriptName),
              environment: {
                ...environment,
                FIRST_DEPLOY: firstDeploy,
                TALOSCONFIG_CONTENT: talosconfig,
                TALOSCTL_INSTALL: TALOSCTL_INSTALL_HINT,
                // Between nodes, and before and after the Kubernetes upgrade: talosctl health of the whole cluster.
                CONTROL_PLANES: Fn.join(" ", props.controlPlaneNodes),
                WORKERS: Fn.join(" ", props.workerNodes),
                HEALTH_WAIT: Fn.conditional(props.healthWait, "true", "false"),
                HEALTH_TIMEOUT: props.healthTimeout,
                // Before any node is touched: an etcd backup (backup_etcd).
                STACK: props.stackName,
                BACKUP_DIR: props.etcdBackupDir,
                BACKUP_KEEP: Token.asString(props.etcdBackupKeep),
                BACKUP_SEAL: props.sealBackups ? "true" : "false",
              },
            },
          ],
        }),
        address,
      );

    this.talosUpgrade = upgrade(
      "talos-upgrade",
      ADDRESSES.talosUpgrade,
      { talos_version: props.talosVersion },
      [...props.deployedAfter, this.deployed, props.healthy],
      "talos-upgrade.sh",
      {
        TALOS_VERSION: props.talosVersion,
        INSTALLER_IMAGE: `${TALOS_INSTALLER_IMAGE}:${props.talosVersion}`,
        STAGE: Fn.conditional(props.stage, "true", "false"),
        INSTALLED_VERSION: installed("talos_version"),
      },
    );

    this.kubernetesUpgrade = upgrade(
      "kubernetes-upgrade",
      ADDRESSES.kubernetesUpgrade,
      { kubernetes_version: props.kubernetesVersion },
      [this.talosUpgrade],
      "kubernetes-upgrade.sh",
      {
        KUBERNETES_VERSION: props.kubernetesVersion,
        CONTROL_PLANE: Fn.element(props.controlPlaneNodes, 0),
        INSTALLED_VERSION: installed("kubernetes_version"),
      },
    );
  }
}
