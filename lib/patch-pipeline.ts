import { kernelInterfaceNames, namesInterfacesPredictably } from "./interface-names";
import { MachineConfigPatches } from "./machine-config-patches";
import { patchVerdict, PatchVerdict } from "./patch-verdict";
import { unpinnedReferences } from "./supply-chain";
import { TalosChecks, WITHOUT_TALOS } from "./talos-checks";
import { TalosValidationJob } from "./talos-contract";

/** The Talos and Kubernetes versions the merged configurations are validated for. */
export interface ValidationVersions {
  /** Talos version, with or without the leading "v". */
  readonly talosVersion: string;
  /** Kubernetes version. */
  readonly kubernetesVersion: string;
}

/** Properties of a {@link PatchPipeline}. */
export interface PatchPipelineProps {
  /** The stack's name, e.g. `cloudkoffer-v3`, for messages. */
  readonly stackName: string;
  /** Name of the cluster the configurations are generated for. */
  readonly clusterName: string;
  /** Its Kubernetes API endpoint, e.g. `https://192.168.1.101:6443`. */
  readonly clusterEndpoint: string;
  /** Folder of the patch files. */
  readonly directory: string;
  /** Patch files for control planes, relative to `directory`, in order. */
  readonly controlPlaneFiles: readonly string[];
  /** Patch files for workers, relative to `directory`, in order. */
  readonly workerFiles: readonly string[];
  /** The Cloudkoffer's install disk, for the install patch that comes first. */
  readonly installDisk: string;
  /** The placeholders (`{{ name }}`) the files may use, with their default values. */
  readonly placeholders: Readonly<Record<string, string>>;
  /**
   * What checks the patches against Talos itself: its schema, and its
   * validation of the merged configurations.
   * @default no checks against Talos (synth warns), the same on every machine
   */
  readonly talos?: TalosChecks;
}

/**
 * A stack's patches, checked as far as can be before any node: each file read
 * and checked once (YAML, sections, Talos' schema), its references and
 * interface names looked at, then the merged configuration of each role
 * validated by Talos' own code, which decides what stops the synth.
 */
export class PatchPipeline {
  /** The patches of both roles, as read. */
  readonly patches: MachineConfigPatches;
  /** What reading found worth a warning: a missing schema, unpinned references, kernel interface names. */
  readonly readWarnings: readonly string[];
  private readonly talos: TalosChecks;

  /**
   * Reads and checks the patch files.
   * @param defaultTalosVersion the Talos version the stack installs by default, for what depends on it
   * @throws TalosPatchError for a file that is no usable patch (broken YAML, unknown section, unknown placeholder)
   */
  constructor(
    private readonly props: PatchPipelineProps,
    defaultTalosVersion: string,
  ) {
    this.talos = props.talos ?? WITHOUT_TALOS;
    const schema = "missing" in this.talos.schema ? undefined : this.talos.schema;
    this.patches = new MachineConfigPatches({
      directory: props.directory,
      controlPlaneFiles: props.controlPlaneFiles,
      workerFiles: props.workerFiles,
      installDisk: props.installDisk,
      schema,
      placeholders: props.placeholders,
    });

    const warnings: string[] = [];
    if ("missing" in this.talos.schema) warnings.push(`patches not checked against Talos' schema: ${this.talos.schema.missing}`);
    const predictableNames =
      namesInterfacesPredictably(defaultTalosVersion) && !this.patches.files.some(({ yaml }) => /net\.ifnames=0/.test(yaml));
    for (const { source, yaml } of this.patches.files) {
      for (const { line, message } of unpinnedReferences(yaml)) warnings.push(`${source}:${line}: ${message}`);
      for (const { line, field, name } of predictableNames ? kernelInterfaceNames(yaml) : []) {
        warnings.push(
          `${source}:${line}: ${field}: ${name} is a kernel name, and Talos 1.5 and later name NICs predictably ` +
            `(enp1s0, eno1, ...) on a fresh install, so it matches nothing and what is set on it (DHCP, the VIP) never comes up; ` +
            "select the NIC with deviceSelector (e.g. physical: true) instead",
        );
      }
    }
    this.readWarnings = warnings;
  }

  /** What Talos is asked to validate, for the given versions. */
  job(versions: ValidationVersions): TalosValidationJob {
    const talosVersion = `v${versions.talosVersion.replace(/^v/, "")}`;
    return {
      name: this.props.stackName,
      clusterName: this.props.clusterName,
      clusterEndpoint: this.props.clusterEndpoint,
      talosVersion,
      kubernetesVersion: versions.kubernetesVersion,
      roles: this.patches.sources(talosVersion),
    };
  }

  /**
   * What Talos says of the merged configurations for these versions: only what
   * Talos refuses is an error; where only its schema is stricter, a warning
   * with the fix (see patch-verdict.ts).
   * @param remember whether to use the verdicts Talos gave before for the same input
   */
  judge(versions: ValidationVersions, remember = true): PatchVerdict {
    const job = this.job(versions);
    const results = this.talos.validate([job], remember);
    if (!("unavailable" in results)) return patchVerdict(this.patches.files, job, results);
    const verdict = patchVerdict(this.patches.files, job, undefined);
    return { errors: verdict.errors, warnings: [`merged configurations not validated by Talos: ${results.unavailable}`, ...verdict.warnings] };
  }
}
