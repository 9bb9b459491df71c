import { parse } from "yaml";
import { SECRETS_ADDRESS } from "../../lib/addresses";
import { MachineSecrets, secretsYaml } from "../../operations/secrets-yaml";
import { attributesOf, recordedState } from "./support/recorded-state";

/** The recorded state's talos_machine_secrets.machine_secrets (keys and secrets redacted, certificates real). */
function recordedSecrets(): MachineSecrets {
  return attributesOf(recordedState(), SECRETS_ADDRESS).machine_secrets as MachineSecrets;
}

describe("secretsYaml", () => {
  test("renders the recorded secrets in Talos' secrets.yaml layout", () => {
    const secrets = recordedSecrets();
    expect(parse(secretsYaml(secrets))).toEqual({
      cluster: { id: secrets.cluster.id, secret: secrets.cluster.secret },
      secrets: { bootstraptoken: secrets.secrets.bootstrap_token, secretboxencryptionsecret: secrets.secrets.secretbox_encryption_secret },
      trustdinfo: { token: secrets.trustdinfo.token },
      certs: {
        etcd: { crt: secrets.certs.etcd.cert, key: secrets.certs.etcd.key },
        k8s: { crt: secrets.certs.k8s.cert, key: secrets.certs.k8s.key },
        k8saggregator: { crt: secrets.certs.k8s_aggregator.cert, key: secrets.certs.k8s_aggregator.key },
        k8sserviceaccount: { key: secrets.certs.k8s_serviceaccount.key },
        os: { crt: secrets.certs.os.cert, key: secrets.certs.os.key },
      },
    });
  });

  test("the top-level sections come in Talos' order: cluster, secrets, trustdinfo, certs", () => {
    const document = parse(secretsYaml(recordedSecrets())) as Record<string, Record<string, unknown>>;
    expect(Object.keys(document)).toEqual(["cluster", "secrets", "trustdinfo", "certs"]);
    expect(Object.keys(document.certs)).toEqual(["etcd", "k8s", "k8saggregator", "k8sserviceaccount", "os"]);
  });

  test("certificates keep the provider's base64 PEM, as Talos' own secrets.yaml holds them", () => {
    const secrets = recordedSecrets();
    const document = parse(secretsYaml(secrets)) as { certs: { os: { crt: string } } };
    expect(document.certs.os.crt).toBe(secrets.certs.os.cert);
    expect(Buffer.from(document.certs.os.crt, "base64").toString("utf8")).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  });

  test("without an AES-CBC secret (the recorded one is null) there is no aescbcencryptionsecret", () => {
    const secrets = recordedSecrets();
    expect(secrets.secrets.aescbc_encryption_secret).toBeNull();
    const document = parse(secretsYaml(secrets)) as { secrets: Record<string, string> };
    expect(Object.keys(document.secrets)).toEqual(["bootstraptoken", "secretboxencryptionsecret"]);
    const withoutIt: MachineSecrets = { ...secrets, secrets: { bootstrap_token: "t", secretbox_encryption_secret: "s" } };
    expect(Object.keys((parse(secretsYaml(withoutIt)) as { secrets: Record<string, string> }).secrets)).toEqual(["bootstraptoken", "secretboxencryptionsecret"]);
  });

  test("an AES-CBC secret, where the cluster has one, is aescbcencryptionsecret, between the bootstrap token and the secretbox secret", () => {
    const secrets = recordedSecrets();
    const withIt: MachineSecrets = { ...secrets, secrets: { ...secrets.secrets, aescbc_encryption_secret: "an-aescbc-secret" } };
    const document = parse(secretsYaml(withIt)) as { secrets: Record<string, string> };
    expect(document.secrets).toEqual({
      bootstraptoken: secrets.secrets.bootstrap_token,
      aescbcencryptionsecret: "an-aescbc-secret",
      secretboxencryptionsecret: secrets.secrets.secretbox_encryption_secret,
    });
    expect(Object.keys(document.secrets)).toEqual(["bootstraptoken", "aescbcencryptionsecret", "secretboxencryptionsecret"]);
  });

  test("an empty AES-CBC secret counts as none", () => {
    const secrets = recordedSecrets();
    const empty: MachineSecrets = { ...secrets, secrets: { ...secrets.secrets, aescbc_encryption_secret: "" } };
    expect(secretsYaml(empty)).not.toContain("aescbcencryptionsecret");
  });

  test("only what Talos reads is written: no provider attribute names", () => {
    const text = secretsYaml(recordedSecrets());
    for (const name of ["k8s_aggregator", "k8s_serviceaccount", "bootstrap_token", "secretbox_encryption_secret", "cert:"]) {
      expect(text).not.toContain(name);
    }
  });
});
