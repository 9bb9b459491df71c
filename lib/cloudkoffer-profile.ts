/**
 * The hardware of one Cloudkoffer version, as the seed describes it.
 *
 * v1 holds 5 NUCs with SATA disks, v2 and v3 hold 10 NUCs with NVMe disks.
 * All of them boot into Talos maintenance mode at 192.168.1.1 and up; the
 * control planes share the virtual IP 192.168.1.101.
 */
export interface CloudkofferProfile {
  /** Cloudkoffer hardware version, e.g. `v3`. */
  readonly version: CloudkofferVersion;
  /** Addresses of the control-plane nodes; the first one is bootstrapped. */
  readonly controlPlanes: readonly string[];
  /** Addresses of the worker nodes. */
  readonly workers: readonly string[];
  /** Disk Talos installs itself to (`machine.install.disk`). */
  readonly installDisk: string;
}

/** The Cloudkoffer hardware versions this project knows. */
export const CLOUDKOFFER_VERSIONS = ["v1", "v2", "v3"] as const;

/** A Cloudkoffer hardware version. */
export type CloudkofferVersion = (typeof CLOUDKOFFER_VERSIONS)[number];

const CONTROL_PLANES = ["192.168.1.1", "192.168.1.2", "192.168.1.3"];

/** Node addresses 192.168.1.<first>..192.168.1.<last>. */
function addresses(first: number, last: number): string[] {
  const result: string[] = [];
  for (let host = first; host <= last; host++) {
    result.push(`192.168.1.${host}`);
  }
  return result;
}

/** One profile per Cloudkoffer version; the values are the seed's. */
export const CLOUDKOFFER_PROFILES: Readonly<Record<CloudkofferVersion, CloudkofferProfile>> = {
  v1: {
    version: "v1",
    controlPlanes: CONTROL_PLANES,
    workers: addresses(4, 5),
    installDisk: "/dev/sda",
  },
  v2: {
    version: "v2",
    controlPlanes: CONTROL_PLANES,
    workers: addresses(4, 10),
    installDisk: "/dev/nvme0n1",
  },
  v3: {
    version: "v3",
    controlPlanes: CONTROL_PLANES,
    workers: addresses(4, 10),
    installDisk: "/dev/nvme0n1",
  },
};

/** The Terraform stack name of a Cloudkoffer version, e.g. `cloudkoffer-v3`. */
export function stackName(version: CloudkofferVersion): string {
  return `cloudkoffer-${version}`;
}

/**
 * Where a stack's local state file is, relative to its synthesized folder
 * (`cdktf.out/stacks/<stack>`): the project root, outside cdktf.out.
 */
export function defaultStatePath(stack: string): string {
  return `../../../terraform.${stack}.tfstate`;
}
