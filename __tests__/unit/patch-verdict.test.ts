import { describeTalosRejection, patchVerdict } from "../../lib/patch-verdict";
import { TalosValidationJob, TalosValidationResult } from "../../lib/talos-contract";
import { PatchSchemaViolation, TalosPatch } from "../../lib/talos-patch";

/** The seed's unquoted kubelet argument: the schema wants a string, Talos' loader reads "true". */
const ROTATE: PatchSchemaViolation = {
  line: 31,
  field: "machine.kubelet.extraArgs.rotate-server-certificates",
  message: "must be string",
  value: true,
};

function patch(source: string, ...schemaViolations: PatchSchemaViolation[]): TalosPatch {
  return { source, yaml: "machine: {}\n", schemaViolations };
}

/** A job that applies all.yaml to both roles, then controlplane.yaml or worker.yaml. */
const JOB: TalosValidationJob = {
  name: "cloudkoffer-v1",
  clusterName: "cloudkoffer",
  clusterEndpoint: "https://192.168.1.101:6443",
  talosVersion: "v1.7.4",
  kubernetesVersion: "1.30.1",
  roles: {
    controlplane: [
      { source: "patches/all.yaml", yaml: "machine: {}\n" },
      { source: "patches/controlplane.yaml", yaml: "cluster: {}\n" },
    ],
    worker: [
      { source: "patches/all.yaml", yaml: "machine: {}\n" },
      { source: "patches/worker.yaml", yaml: "machine: {}\n" },
    ],
  },
};

const VALID: TalosValidationResult[] = [
  { name: "cloudkoffer-v1", role: "controlplane", valid: true },
  { name: "cloudkoffer-v1", role: "worker", valid: true },
];

const ROTATE_FIX = `Talos reads true as the string "true": quote it, rotate-server-certificates: "true"`;

describe("patchVerdict", () => {
  test("without violations or rejections there is nothing to say", () => {
    expect(patchVerdict([patch("patches/all.yaml"), patch("patches/worker.yaml")], JOB, VALID)).toEqual({ errors: [], warnings: [] });
  });

  test("a schema violation in a file Talos accepted is a warning with the fix", () => {
    expect(patchVerdict([patch("patches/all.yaml", ROTATE)], JOB, VALID)).toEqual({
      errors: [],
      warnings: [`patches/all.yaml:31: machine.kubelet.extraArgs.rotate-server-certificates: must be string; ${ROTATE_FIX}`],
    });
  });

  test("a number where the schema wants a string is quoted in the fix too", () => {
    const violation: PatchSchemaViolation = { line: 7, field: "machine.kubelet.extraArgs.max-pods", message: "must be string", value: 250 };
    expect(patchVerdict([patch("patches/worker.yaml", violation)], JOB, VALID).warnings).toEqual([
      `patches/worker.yaml:7: machine.kubelet.extraArgs.max-pods: must be string; Talos reads 250 as the string "250": quote it, max-pods: "250"`,
    ]);
  });

  test("any other violation Talos accepted says to write it as the schema says", () => {
    const unknown: PatchSchemaViolation = { line: 3, field: "machine.network.hostname", message: "must be string", value: undefined };
    const document: PatchSchemaViolation = { line: 1, field: "", message: "must NOT have additional properties", value: undefined };
    expect(patchVerdict([patch("patches/controlplane.yaml", unknown, document)], JOB, VALID).warnings).toEqual([
      "patches/controlplane.yaml:3: machine.network.hostname: must be string; Talos' own loader and validator accept it, but write it as its schema says",
      "patches/controlplane.yaml:1: must NOT have additional properties; Talos' own loader and validator accept it, but write it as its schema says",
    ]);
  });

  test("a schema violation in the file Talos refused is an error, followed by Talos' own rejection", () => {
    const results: TalosValidationResult[] = [
      { name: "cloudkoffer-v1", role: "controlplane", valid: true },
      { name: "cloudkoffer-v1", role: "worker", valid: false, source: "patches/worker.yaml", errors: ["unknown keys found during decoding: machine.kubelet.foo"] },
    ];
    expect(patchVerdict([patch("patches/worker.yaml", { ...ROTATE, line: 4 })], JOB, results)).toEqual({
      errors: [
        "patches/worker.yaml:4: machine.kubelet.extraArgs.rotate-server-certificates: must be string",
        "Talos rejects the cloudkoffer-v1 worker, after patches/worker.yaml: unknown keys found during decoding: machine.kubelet.foo",
      ],
      warnings: [],
    });
  });

  test("a file applied before the one Talos refused was accepted: its violations stay warnings", () => {
    const results: TalosValidationResult[] = [
      { name: "cloudkoffer-v1", role: "controlplane", valid: false, source: "patches/controlplane.yaml", errors: ["cluster.network: invalid CIDR"] },
      { name: "cloudkoffer-v1", role: "worker", valid: true },
    ];
    const verdict = patchVerdict([patch("patches/all.yaml", ROTATE), patch("patches/controlplane.yaml")], JOB, results);
    expect(verdict.warnings).toEqual([`patches/all.yaml:31: machine.kubelet.extraArgs.rotate-server-certificates: must be string; ${ROTATE_FIX}`]);
    expect(verdict.errors).toEqual(["Talos rejects the cloudkoffer-v1 controlplane, after patches/controlplane.yaml: cluster.network: invalid CIDR"]);
  });

  test("a file applied after the one Talos refused was never accepted: its violations are errors", () => {
    const results: TalosValidationResult[] = [
      { name: "cloudkoffer-v1", role: "controlplane", valid: false, source: "patches/all.yaml", errors: ["machine.install.disk: not found"] },
      { name: "cloudkoffer-v1", role: "worker", valid: true },
    ];
    const verdict = patchVerdict([patch("patches/controlplane.yaml", { ...ROTATE, line: 2 })], JOB, results);
    expect(verdict.errors).toEqual([
      "patches/controlplane.yaml:2: machine.kubelet.extraArgs.rotate-server-certificates: must be string",
      "Talos rejects the cloudkoffer-v1 controlplane, after patches/all.yaml: machine.install.disk: not found",
    ]);
    expect(verdict.warnings).toEqual([]);
  });

  test("a file both roles apply must be accepted by both: one refusal makes its violations errors", () => {
    const results: TalosValidationResult[] = [
      { name: "cloudkoffer-v1", role: "controlplane", valid: true },
      { name: "cloudkoffer-v1", role: "worker", valid: false, source: "patches/all.yaml", errors: ["bad"] },
    ];
    expect(patchVerdict([patch("patches/all.yaml", ROTATE)], JOB, results).errors).toEqual([
      "patches/all.yaml:31: machine.kubelet.extraArgs.rotate-server-certificates: must be string",
      "Talos rejects the cloudkoffer-v1 worker, after patches/all.yaml: bad",
    ]);
  });

  test("a refusal that names no patch accepts none of that role's files", () => {
    const results: TalosValidationResult[] = [
      { name: "cloudkoffer-v1", role: "controlplane", valid: true },
      { name: "cloudkoffer-v1", role: "worker", valid: false, errors: ["the generated configuration does not load"] },
    ];
    const verdict = patchVerdict([patch("patches/controlplane.yaml", ROTATE), patch("patches/worker.yaml", ROTATE)], JOB, results);
    expect(verdict.warnings).toEqual([`patches/controlplane.yaml:31: machine.kubelet.extraArgs.rotate-server-certificates: must be string; ${ROTATE_FIX}`]);
    expect(verdict.errors).toEqual([
      "patches/worker.yaml:31: machine.kubelet.extraArgs.rotate-server-certificates: must be string",
      "Talos rejects the cloudkoffer-v1 worker: the generated configuration does not load",
    ]);
  });

  test("a file no role applies, or a role Talos gave no verdict on, is not accepted", () => {
    expect(patchVerdict([patch("patches/unused.yaml", ROTATE)], JOB, VALID)).toEqual({
      errors: ["patches/unused.yaml:31: machine.kubelet.extraArgs.rotate-server-certificates: must be string"],
      warnings: [],
    });
    const onlyControlPlane: TalosValidationResult[] = [{ name: "cloudkoffer-v1", role: "controlplane", valid: true }];
    expect(patchVerdict([patch("patches/all.yaml", ROTATE)], JOB, onlyControlPlane).errors).toEqual([
      "patches/all.yaml:31: machine.kubelet.extraArgs.rotate-server-certificates: must be string",
    ]);
    expect(patchVerdict([patch("patches/all.yaml", ROTATE)], JOB, []).errors).toHaveLength(1);
  });

  test("without Talos' verdict every violation is an error", () => {
    const verdict = patchVerdict([patch("patches/all.yaml", ROTATE), patch("patches/worker.yaml", { ...ROTATE, line: 9 })], JOB, undefined);
    expect(verdict).toEqual({
      errors: [
        "patches/all.yaml:31: machine.kubelet.extraArgs.rotate-server-certificates: must be string",
        "patches/worker.yaml:9: machine.kubelet.extraArgs.rotate-server-certificates: must be string",
      ],
      warnings: [],
    });
  });

  test("Talos' rejections stop the synth even where no file breaks the schema", () => {
    const results: TalosValidationResult[] = [
      { name: "cloudkoffer-v1", role: "controlplane", valid: false, source: "patches/controlplane.yaml", errors: ["one", "two"] },
      { name: "cloudkoffer-v1", role: "worker", valid: false, source: "patches/worker.yaml", errors: ["three"] },
    ];
    expect(patchVerdict([patch("patches/all.yaml")], JOB, results)).toEqual({
      errors: [
        "Talos rejects the cloudkoffer-v1 controlplane, after patches/controlplane.yaml: one; two",
        "Talos rejects the cloudkoffer-v1 worker, after patches/worker.yaml: three",
      ],
      warnings: [],
    });
  });
});

describe("describeTalosRejection", () => {
  test("names stack, role and the patch after which the configuration no longer loads, with every error", () => {
    expect(
      describeTalosRejection({
        name: "cloudkoffer-v3",
        role: "controlplane",
        valid: false,
        source: "patches/all.yaml",
        errors: ["machine.network.interfaces[0]: interface name or selector is required", "cluster.network.cni: unknown"],
      }),
    ).toBe(
      "Talos rejects the cloudkoffer-v3 controlplane, after patches/all.yaml: machine.network.interfaces[0]: interface name or selector is required; cluster.network.cni: unknown",
    );
  });

  test("without a patch it names stack and role only", () => {
    expect(describeTalosRejection({ name: "cloudkoffer-v2", role: "worker", valid: false, errors: ["does not load"] })).toBe(
      "Talos rejects the cloudkoffer-v2 worker: does not load",
    );
  });
});
