import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { parse } from "yaml";
import {
  ADDRESSES,
  addressText,
  ADMIN_CERTIFICATE_ADDRESS,
  ADMIN_KEY_ADDRESS,
  BOOTSTRAP_ADDRESS,
  CONTROL_PLANE_APPLY_ADDRESS,
  DEPLOYED_ADDRESS,
  KUBECONFIG_ADDRESS,
  SECRETS_ADDRESS,
  TALOS_UPGRADE_ADDRESS,
  WORKER_APPLY_ADDRESS,
} from "../../lib/addresses";
import { MachineSecrets, secretsYaml } from "../../operations/secrets-yaml";
import { isEncryptedState, readLocalState, repairLocalState, StackState, undecryptable, writeSecretsBackup } from "../../operations/state";
import { attributesOf, recordedShow, recordedState, recordedStateText, RecordedState, withoutResources } from "./support/recorded-state";

/** A base64 PEM, as talos_machine_secrets keeps certificates and keys. */
function base64(text: string): string {
  return Buffer.from(text).toString("base64");
}

/** The recorded secrets' own client configuration (provider 0.5.0's admin certificate). */
function secretsClientConfiguration(state: RecordedState): { ca_certificate: string; client_certificate: string; client_key: string } {
  return attributesOf(state, SECRETS_ADDRESS).client_configuration as { ca_certificate: string; client_certificate: string; client_key: string };
}

/** A state as OpenTofu encrypts it: nothing of it readable but that it is one. */
const ENCRYPTED_STATE = JSON.stringify({ encrypted_data: base64("not really ciphertext"), encryption_version: "v0", meta: { "key_provider.pbkdf2.passphrase": "" } });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "state-unit-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("StackState of the recorded cloudkoffer-v1 state", () => {
  test("addresses are the managed resources, one per resource whatever its instances, as terraform show lists them", () => {
    const shown = recordedShow()
      .values.root_module.resources.filter((resource) => resource.mode === "managed")
      .map((resource) => `${resource.type}.${resource.name}`);
    const state = new StackState(recordedState());
    expect([...state.addresses].sort()).toEqual([...new Set(shown)].sort());
    expect(state.addresses.size).toBe(12);
  });

  test("has knows the managed resources, and never a data source", () => {
    const state = new StackState(recordedState());
    for (const address of [SECRETS_ADDRESS, BOOTSTRAP_ADDRESS, CONTROL_PLANE_APPLY_ADDRESS, WORKER_APPLY_ADDRESS, ADMIN_CERTIFICATE_ADDRESS, DEPLOYED_ADDRESS]) {
      expect(state.has(address)).toBe(true);
    }
    expect(state.has(addressText(ADDRESSES.clientConfiguration))).toBe(false);
    expect(state.has(addressText({ ...ADDRESSES.clientConfiguration, mode: undefined }))).toBe(false);
  });

  test("instances counts one per node for the applies, one for a single resource, none for what the state lacks", () => {
    const state = new StackState(recordedState());
    expect(state.instances(CONTROL_PLANE_APPLY_ADDRESS)).toBe(3);
    expect(state.instances(WORKER_APPLY_ADDRESS)).toBe(2);
    expect(state.instances(SECRETS_ADDRESS)).toBe(1);
    expect(state.instances(addressText({ ...ADDRESSES.kubeconfig, mode: undefined }))).toBe(0);
    expect(new StackState(withoutResources(recordedState(), BOOTSTRAP_ADDRESS)).instances(BOOTSTRAP_ADDRESS)).toBe(0);
  });

  test("a resource whose instances are all gone is no address, and has no instances", () => {
    const recorded = recordedState();
    const workers = recorded.resources.find((resource) => `${resource.type}.${resource.name}` === WORKER_APPLY_ADDRESS);
    if (!workers) throw new Error("the recorded state has no worker apply");
    workers.instances = [];
    const state = new StackState(recorded);
    expect(state.has(WORKER_APPLY_ADDRESS)).toBe(false);
    expect(state.addresses.has(WORKER_APPLY_ADDRESS)).toBe(false);
    expect(state.instances(WORKER_APPLY_ADDRESS)).toBe(0);
  });

  test("the client configuration is the stack's own admin certificate and key, with the secrets' OS CA", () => {
    const recorded = recordedState();
    const certificate = attributesOf(recorded, ADMIN_CERTIFICATE_ADDRESS).cert_pem as string;
    const key = attributesOf(recorded, ADMIN_KEY_ADDRESS).private_key_pem as string;
    const secrets = secretsClientConfiguration(recorded);
    const configuration = new StackState(recorded).clientConfiguration;
    expect(configuration).toEqual({ ca_certificate: secrets.ca_certificate, client_certificate: base64(certificate), client_key: base64(key) });
    // Not provider 0.5.0's certificate, which the secrets carry too.
    expect(configuration?.client_certificate).not.toBe(secrets.client_certificate);
  });

  test("a state from before the stack signed its own certificate falls back to the one provider 0.5.0 signed with the secrets", () => {
    const recorded = withoutResources(recordedState(), ADMIN_CERTIFICATE_ADDRESS, ADMIN_KEY_ADDRESS);
    expect(new StackState(recorded).clientConfiguration).toEqual(secretsClientConfiguration(recorded));
  });

  test("a certificate without its key, or a key without its certificate, falls back to the secrets' own configuration", () => {
    const withoutKey = withoutResources(recordedState(), ADMIN_KEY_ADDRESS);
    expect(new StackState(withoutKey).clientConfiguration).toEqual(secretsClientConfiguration(withoutKey));
    const withoutCertificate = withoutResources(recordedState(), ADMIN_CERTIFICATE_ADDRESS);
    expect(new StackState(withoutCertificate).clientConfiguration).toEqual(secretsClientConfiguration(withoutCertificate));
  });

  test("without the secrets there is no client configuration, even with an admin certificate", () => {
    expect(new StackState(withoutResources(recordedState(), SECRETS_ADDRESS)).clientConfiguration).toBeUndefined();
  });

  test("the admin certificate is the tls provider's PEM with its renewal hours", () => {
    const recorded = recordedState();
    const admin = new StackState(recorded).adminCertificate;
    expect(admin).toEqual({ certPem: attributesOf(recorded, ADMIN_CERTIFICATE_ADDRESS).cert_pem, renewalHours: 720 });
    expect(admin?.certPem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  });

  test("an admin certificate without early renewal hours renews at 0 hours; a state without one has none", () => {
    const recorded = recordedState();
    attributesOf(recorded, ADMIN_CERTIFICATE_ADDRESS).early_renewal_hours = null;
    expect(new StackState(recorded).adminCertificate?.renewalHours).toBe(0);
    expect(new StackState(withoutResources(recordedState(), ADMIN_CERTIFICATE_ADDRESS)).adminCertificate).toBeUndefined();
  });

  test("the admin kubeconfig's client certificate is read from null_resource.kubeconfig's triggers", () => {
    const recorded = recordedState();
    const kubeconfig = recorded.outputs.kubeconfig.value as { client_certificate: string };
    const triggers = attributesOf(recorded, KUBECONFIG_ADDRESS).triggers as Record<string, string>;
    triggers.kubernetes_client_configuration = JSON.stringify({ ca_certificate: "", client_certificate: kubeconfig.client_certificate, client_key: "REDACTED" });
    expect(new StackState(recorded).kubeconfigClientCertificate).toBe(kubeconfig.client_certificate);
  });

  test("triggers that do not parse (the recorded, redacted ones), lack the certificate, or are missing give no kubeconfig certificate", () => {
    const recorded = recordedState();
    expect((attributesOf(recorded, KUBECONFIG_ADDRESS).triggers as Record<string, string>).kubernetes_client_configuration).toBe("REDACTED");
    expect(new StackState(recorded).kubeconfigClientCertificate).toBeUndefined();

    (attributesOf(recorded, KUBECONFIG_ADDRESS).triggers as Record<string, string>).kubernetes_client_configuration = "{}";
    expect(new StackState(recorded).kubeconfigClientCertificate).toBeUndefined();

    attributesOf(recorded, KUBECONFIG_ADDRESS).triggers = {};
    expect(new StackState(recorded).kubeconfigClientCertificate).toBeUndefined();

    expect(new StackState(withoutResources(recordedState(), KUBECONFIG_ADDRESS)).kubeconfigClientCertificate).toBeUndefined();
  });

  test("the machine secrets are talos_machine_secrets' machine_secrets, and none without the resource", () => {
    const recorded = recordedState();
    expect(new StackState(recorded).machineSecrets).toEqual(attributesOf(recorded, SECRETS_ADDRESS).machine_secrets);
    expect(new StackState(recorded).machineSecrets?.cluster.id).toBe("ihO-08EGYdJZpTzuZ8yT79VRND50NVWIiLWcLtSz1F0=");
    expect(new StackState(withoutResources(recordedState(), SECRETS_ADDRESS)).machineSecrets).toBeUndefined();
  });

  test("the Talos roll target is null_resource.talos_upgrade's talos_version trigger", () => {
    expect(new StackState(recordedState()).talosRollTarget).toBe("v1.7.4");
    const rolling = recordedState();
    (attributesOf(rolling, TALOS_UPGRADE_ADDRESS).triggers as Record<string, string>).talos_version = "v1.8.3";
    expect(new StackState(rolling).talosRollTarget).toBe("v1.8.3");
    expect(new StackState(withoutResources(recordedState(), TALOS_UPGRADE_ADDRESS)).talosRollTarget).toBeUndefined();
  });

  test("an empty state has no addresses, instances, credentials, secrets or roll target", () => {
    const state = new StackState({});
    expect(state.addresses.size).toBe(0);
    expect(state.has(SECRETS_ADDRESS)).toBe(false);
    expect(state.instances(CONTROL_PLANE_APPLY_ADDRESS)).toBe(0);
    expect(state.clientConfiguration).toBeUndefined();
    expect(state.adminCertificate).toBeUndefined();
    expect(state.kubeconfigClientCertificate).toBeUndefined();
    expect(state.machineSecrets).toBeUndefined();
    expect(state.talosRollTarget).toBeUndefined();
  });
});

describe("readLocalState", () => {
  test("reads a local state file", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    writeFileSync(file, recordedStateText());
    const state = readLocalState(file);
    expect(state.has(BOOTSTRAP_ADDRESS)).toBe(true);
    expect(state.instances(CONTROL_PLANE_APPLY_ADDRESS)).toBe(3);
  });

  test("a missing file is an empty state", () => {
    const state = readLocalState(path.join(dir, "terraform.cloudkoffer-v1.tfstate"));
    expect(state.addresses.size).toBe(0);
  });

  test("an empty or truncated file throws, naming the file and what mends it: it is never read as an empty state", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    for (const text of ["", recordedStateText().slice(0, 4096)]) {
      writeFileSync(file, text);
      expect(() => readLocalState(file)).toThrow(
        new Error(`${file} is empty or truncated (terraform was stopped while writing it): npm run deploy keeps it aside and restores terraform's backup`),
      );
    }
  });

  test("an encrypted file throws, naming the file and how to read it", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    writeFileSync(file, ENCRYPTED_STATE);
    expect(() => readLocalState(file)).toThrow(new Error(`${file} is encrypted: read it with tofu state pull`));
  });
});

describe("isEncryptedState", () => {
  test("is true for OpenTofu's encrypted form of a state", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    writeFileSync(file, ENCRYPTED_STATE);
    expect(isEncryptedState(file)).toBe(true);
  });

  test("is false for a plain state, a missing file and a file that does not parse", () => {
    const plain = path.join(dir, "plain.tfstate");
    writeFileSync(plain, recordedStateText());
    const truncated = path.join(dir, "truncated.tfstate");
    writeFileSync(truncated, ENCRYPTED_STATE.slice(0, 20));
    expect(isEncryptedState(plain)).toBe(false);
    expect(isEncryptedState(path.join(dir, "missing.tfstate"))).toBe(false);
    expect(isEncryptedState(truncated)).toBe(false);
  });
});

describe("repairLocalState", () => {
  const NOW = new Date("2027-11-29T12:34:56.789Z");

  test("a sound file is left alone: nothing done", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    writeFileSync(file, recordedStateText());
    expect(repairLocalState(file, NOW)).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(recordedStateText());
    expect(readdirSync(dir)).toEqual(["terraform.cloudkoffer-v1.tfstate"]);
  });

  test("an encrypted file is sound too: nothing done", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    writeFileSync(file, ENCRYPTED_STATE);
    expect(repairLocalState(file, NOW)).toEqual([]);
    expect(readdirSync(dir)).toEqual(["terraform.cloudkoffer-v1.tfstate"]);
  });

  test("a missing file: nothing done", () => {
    expect(repairLocalState(path.join(dir, "terraform.cloudkoffer-v1.tfstate"), NOW)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("an empty file is kept aside, named with the time, and the backup restored", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    const kept = `${file}.corrupt-20271129T123456Z`;
    writeFileSync(file, "");
    const backup = recordedState();
    writeFileSync(`${file}.backup`, JSON.stringify(backup));
    expect(repairLocalState(file, NOW)).toEqual([
      `${file} is empty or truncated (terraform was stopped while writing it); kept as ${kept}`,
      `restored ${file} from ${file}.backup, the state as the interrupted run found it`,
    ]);
    expect(readFileSync(kept, "utf8")).toBe("");
    expect(readFileSync(file, "utf8")).toBe(JSON.stringify(backup));
    // The backup stays where it is.
    expect(existsSync(`${file}.backup`)).toBe(true);
    expect(readLocalState(file).has(BOOTSTRAP_ADDRESS)).toBe(true);
  });

  test("a truncated file is kept aside as it was, and the backup restored", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    const truncated = recordedStateText().slice(0, 4096);
    writeFileSync(file, truncated);
    writeFileSync(`${file}.backup`, JSON.stringify(withoutResources(recordedState(), BOOTSTRAP_ADDRESS)));
    const lines = repairLocalState(file, NOW);
    expect(lines).toHaveLength(2);
    expect(readFileSync(`${file}.corrupt-20271129T123456Z`, "utf8")).toBe(truncated);
    const restored = readLocalState(file);
    expect(restored.has(SECRETS_ADDRESS)).toBe(true);
    expect(restored.has(BOOTSTRAP_ADDRESS)).toBe(false);
  });

  test("without a backup the file is kept aside and nothing restored", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    writeFileSync(file, "{");
    expect(repairLocalState(file, NOW)).toEqual([
      `${file} is empty or truncated (terraform was stopped while writing it); kept as ${file}.corrupt-20271129T123456Z`,
    ]);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir)).toEqual(["terraform.cloudkoffer-v1.tfstate.corrupt-20271129T123456Z"]);
  });

  test("a backup that does not parse either is not restored", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    writeFileSync(file, recordedStateText().slice(0, 100));
    writeFileSync(`${file}.backup`, recordedStateText().slice(0, 200));
    expect(repairLocalState(file, NOW)).toEqual([
      `${file} is empty or truncated (terraform was stopped while writing it); kept as ${file}.corrupt-20271129T123456Z`,
    ]);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(`${file}.backup`, "utf8")).toBe(recordedStateText().slice(0, 200));
  });

  test("a second repair within the same second keeps both broken files", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    writeFileSync(file, "{");
    repairLocalState(file, NOW);
    writeFileSync(file, "[");
    expect(repairLocalState(file, NOW)).toEqual([
      `${file} is empty or truncated (terraform was stopped while writing it); kept as ${file}.corrupt-20271129T123456Z-2`,
    ]);
    expect(readFileSync(`${file}.corrupt-20271129T123456Z`, "utf8")).toBe("{");
    expect(readFileSync(`${file}.corrupt-20271129T123456Z-2`, "utf8")).toBe("[");
  });

  test("JSON that is no state (no version) counts as broken", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.tfstate");
    writeFileSync(file, "{}");
    expect(repairLocalState(file, NOW)).toHaveLength(1);
    expect(readFileSync(`${file}.corrupt-20271129T123456Z`, "utf8")).toBe("{}");
  });
});

describe("undecryptable", () => {
  const SAID = "Error: failed to decrypt state: cipher: message authentication failed";

  test("says the passphrase is wrong when TF_VAR_state_passphrase is set", () => {
    expect(undecryptable("the state of cloudkoffer-v1", SAID, { TF_VAR_state_passphrase: "correct horse" })).toBe(
      "the state of cloudkoffer-v1 is encrypted and cannot be read: TF_VAR_state_passphrase is not its passphrase. Nothing was touched.",
    );
  });

  test("says the passphrase is missing when TF_VAR_state_passphrase is not set, or empty", () => {
    const message = "the state of cloudkoffer-v1 is encrypted and cannot be read: TF_VAR_state_passphrase is not set. Nothing was touched.";
    expect(undecryptable("the state of cloudkoffer-v1", SAID, {})).toBe(message);
    expect(undecryptable("the state of cloudkoffer-v1", SAID, { TF_VAR_state_passphrase: "" })).toBe(message);
  });

  test("recognises decryption failures whatever their case", () => {
    expect(undecryptable("x", "Unable to DECRYPT the state", {})).toBe("x is encrypted and cannot be read: TF_VAR_state_passphrase is not set. Nothing was touched.");
  });

  test("is undefined for any other failure", () => {
    expect(undecryptable("the state of cloudkoffer-v1", "Error: Failed to load state: open terraform.tfstate: permission denied", {})).toBeUndefined();
    expect(undecryptable("the state of cloudkoffer-v1", "", { TF_VAR_state_passphrase: "correct horse" })).toBeUndefined();
  });
});

describe("writeSecretsBackup", () => {
  const secrets = () => new StackState(recordedState()).machineSecrets as MachineSecrets;

  test("writes Talos' secrets.yaml of the secrets, readable by its owner only", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.secrets.yaml");
    writeSecretsBackup(file, secrets());
    expect(readFileSync(file, "utf8")).toBe(secretsYaml(secrets()));
    expect((parse(readFileSync(file, "utf8")) as { cluster: { id: string } }).cluster.id).toBe(secrets().cluster.id);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["terraform.cloudkoffer-v1.secrets.yaml"]);
  });

  test("replaces an existing file whole, mode 0600 whatever the old file's mode", () => {
    const file = path.join(dir, "terraform.cloudkoffer-v1.secrets.yaml");
    writeFileSync(file, "an older backup, much longer than any secrets.yaml could be ".repeat(200), { mode: 0o644 });
    writeSecretsBackup(file, secrets());
    expect(readFileSync(file, "utf8")).toBe(secretsYaml(secrets()));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("creates the folder it goes into", () => {
    const file = path.join(dir, "nested", "folder", "secrets.yaml");
    writeSecretsBackup(file, secrets());
    expect(readFileSync(file, "utf8")).toBe(secretsYaml(secrets()));
  });

  test("a write that cannot be put in place leaves no partial file behind", () => {
    // A folder where the file should go: the rename into place fails.
    const file = path.join(dir, "secrets.yaml");
    mkdirSync(path.join(file, "inside"), { recursive: true });
    expect(() => writeSecretsBackup(file, secrets())).toThrow();
    expect(readdirSync(dir)).toEqual(["secrets.yaml"]);
    expect(readdirSync(file)).toEqual(["inside"]);
  });
});
