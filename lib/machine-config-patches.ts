import * as path from "path";
import { installPatch } from "./install-patch";
import { TalosConfigSchema } from "./talos-config-schema";
import { readTalosPatch, TalosPatch, terraformLiteral } from "./talos-patch";
import { TalosPatchSource } from "./talos-validation";

/** What a stack's machine configurations are patched with. */
export interface MachineConfigPatchesProps {
  /** Folder of the patch files. */
  readonly directory: string;
  /** Patch files for control planes, relative to `directory`, in order. */
  readonly controlPlaneFiles: readonly string[];
  /** Patch files for workers, relative to `directory`, in order. */
  readonly workerFiles: readonly string[];
  /** The Cloudkoffer's install disk, for the install patch that comes first. */
  readonly installDisk: string;
  /** Talos' schema to check the files against; undefined checks the YAML only. */
  readonly schema: TalosConfigSchema | undefined;
}

/**
 * The patches of both roles: the install patch (profile disk, installer of the
 * Talos version) first, then the files, read and checked once.
 */
export class MachineConfigPatches {
  private readonly controlPlaneFiles: readonly TalosPatch[];
  private readonly workerFiles: readonly TalosPatch[];

  constructor(private readonly props: MachineConfigPatchesProps) {
    const read = (files: readonly string[]) =>
      files.map((file) => readTalosPatch(path.resolve(props.directory, file), { schema: props.schema }));
    this.controlPlaneFiles = read(props.controlPlaneFiles);
    this.workerFiles = read(props.workerFiles);
  }

  /** The patches as Talos receives them, per role, for a Talos version (a token in Terraform). */
  sources(talosVersion: string): { controlplane: TalosPatchSource[]; worker: TalosPatchSource[] } {
    const install: TalosPatchSource = {
      source: "the install patch (profile disk and installer)",
      yaml: installPatch(this.props.installDisk, talosVersion),
    };
    const sources = (files: readonly TalosPatch[]) => [install, ...files.map(({ source, yaml }) => ({ source, yaml }))];
    return { controlplane: sources(this.controlPlaneFiles), worker: sources(this.workerFiles) };
  }

  /**
   * The patches as `config_patches` strings: the files Terraform-escaped (their
   * text reaches Talos literally), the install patch with the Talos version
   * interpolated by Terraform.
   */
  forTerraform(talosVersionToken: string): { controlPlane: string[]; worker: string[] } {
    const escaped = (sources: TalosPatchSource[]) =>
      sources.map((source, i) => (i === 0 ? source.yaml : terraformLiteral(source.yaml)));
    const { controlplane, worker } = this.sources(talosVersionToken);
    return { controlPlane: escaped(controlplane), worker: escaped(worker) };
  }
}
