/**
 * The layout's rules, checked on the tree: lib/ (the constructs) imports
 * nothing from the folders that run things; each command is a thin entry
 * point; the Terraform addresses are written in one module only.
 */
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../lib/project-paths";

/** The TypeScript files of a folder of the project, recursively, relative to the project. */
function sources(folder: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => path.join(folder, file));
}

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");

test("lib/ imports only lib/, the generated bindings and packages: nothing from commands/, operations/, setup/ or testing/", () => {
  const outside = sources("lib").flatMap((file) =>
    [...read(file).matchAll(/from "(\.[^"]+)"/g)]
      .map(([, spec]) => path.relative(PROJECT_ROOT, path.resolve(PROJECT_ROOT, path.dirname(file), spec)))
      .filter((target) => !target.startsWith("lib/") && !target.startsWith(".gen/"))
      .map((target) => `${file} imports ${target}`),
  );
  expect(outside).toEqual([]);
});

test("every command is a thin entry point: at most 80 lines", () => {
  const long = readdirSync(path.join(PROJECT_ROOT, "commands"))
    .filter((file) => /\.(ts|js|sh)$/.test(file))
    .map((file) => ({ file, lines: read(path.join("commands", file)).split("\n").length }))
    .filter(({ lines }) => lines > 80);
  expect(long).toEqual([]);
});

test("no resource address is written as a string outside lib/addresses.ts", () => {
  const address = /["`](data\.)?(talos_machine_secrets|talos_machine_bootstrap|talos_machine_configuration_apply|talos_client_configuration|talos_machine_configuration|talos_cluster_kubeconfig|null_resource|tls_locally_signed_cert|tls_private_key|tls_cert_request)\.[a-z_]+/;
  const found = ["lib", "operations", "setup", "testing", "commands"]
    .flatMap(sources)
    .filter((file) => file !== "lib/addresses.ts")
    .flatMap((file) =>
      read(file)
        .split("\n")
        .map((line, index) => ({ where: `${file}:${index + 1}`, line }))
        .filter(({ line }) => address.test(line) && !/^\s*(\/\/|\/\*|\*)/.test(line)),
    )
    .map(({ where }) => where);
  expect(found).toEqual([]);
});
