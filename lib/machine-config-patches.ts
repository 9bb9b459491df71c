import * as path from "path";
import { installPatch } from "./install-patch";
import { TalosConfigSchema } from "./talos-config-schema";
import { readTalosPatch, TalosPatch, TalosPatchError } from "./talos-patch";
import { terraformLiteral } from "./terraform-literal";
import { TalosPatchSource } from "./talos-contract";

/** `{{ name }}` in a patch: filled in with the value of the stack's variable `name`. */
const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

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
  /** The placeholders (`{{ name }}`) the files may use, with their default values. */
  readonly placeholders: Readonly<Record<string, string>>;
}

/**
 * The patches of both roles: the install patch (profile disk, installer of the
 * Talos version) first, then the files, read and checked once.
 */
export class MachineConfigPatches {
  private readonly controlPlaneFiles: readonly TalosPatch[];
  private readonly workerFiles: readonly TalosPatch[];

  private readonly byPath = new Map<string, TalosPatch>();

  constructor(private readonly props: MachineConfigPatchesProps) {
    // A file both roles share is read, checked and reported once.
    const read = (files: readonly string[]) =>
      files.map((file) => {
        const resolved = path.resolve(props.directory, file);
        let patch = this.byPath.get(resolved);
        if (!patch) {
          patch = readTalosPatch(resolved, { schema: props.schema, fill: (yaml) => this.fill(yaml, props.placeholders) });
          this.byPath.set(resolved, patch);
        }
        return patch;
      });
    this.controlPlaneFiles = read(props.controlPlaneFiles);
    this.workerFiles = read(props.workerFiles);
    for (const { source, yaml } of this.files) {
      yaml.split("\n").forEach((text, index) => {
        for (const [, name] of text.matchAll(PLACEHOLDER)) {
          if (!(name in props.placeholders)) {
            throw new TalosPatchError(
              source,
              index + 1,
              `unknown placeholder {{ ${name} }}; the placeholders are ${Object.keys(props.placeholders).map((known) => `{{ ${known} }}`).join(", ")}`,
            );
          }
        }
      });
    }
  }

  /** The patch files as read, each once, for checks that look at their text. */
  get files(): readonly TalosPatch[] {
    return [...this.byPath.values()];
  }

  /**
   * The patches as Talos receives them, per role, for a Talos version and
   * placeholder values (tokens in Terraform).
   * @param placeholders values of the placeholders
   * @default placeholders their default values
   */
  sources(
    talosVersion: string,
    placeholders: Readonly<Record<string, string>> = this.props.placeholders,
  ): { controlplane: TalosPatchSource[]; worker: TalosPatchSource[] } {
    const install: TalosPatchSource = {
      source: "the install patch (profile disk and installer)",
      yaml: installPatch(this.props.installDisk, talosVersion),
    };
    const sources = (files: readonly TalosPatch[]) => [install, ...files.map(({ source, yaml }) => ({ source, yaml: this.fill(yaml, placeholders) }))];
    return { controlplane: sources(this.controlPlaneFiles), worker: sources(this.workerFiles) };
  }

  /** The text with its known placeholders filled in; an unknown one stays, and is named by the constructor. */
  private fill(yaml: string, placeholders: Readonly<Record<string, string>>): string {
    return yaml.replace(PLACEHOLDER, (text, name: string) => placeholders[name] ?? text);
  }

  /**
   * The patches as `config_patches` strings: the files Terraform-escaped (their
   * text reaches Talos literally), the install patch with the Talos version
   * interpolated by Terraform.
   */
  forTerraform(
    talosVersionToken: string,
    placeholderTokens: Readonly<Record<string, string>>,
  ): { controlPlane: string[]; worker: string[] } {
    // Escaped before the placeholders are filled in: the tokens must stay Terraform expressions.
    const escaped = (files: readonly TalosPatch[]) => [
      installPatch(this.props.installDisk, talosVersionToken),
      ...files.map(({ yaml }) => terraformLiteral(yaml).replace(PLACEHOLDER, (_, name: string) => placeholderTokens[name])),
    ];
    return { controlPlane: escaped(this.controlPlaneFiles), worker: escaped(this.workerFiles) };
  }
}
