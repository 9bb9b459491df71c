import { X509Certificate } from "crypto";
import { ADMIN_CERTIFICATE_ADDRESS, ADMIN_KEY_ADDRESS, KUBECONFIG_ADDRESS, SECRETS_ADDRESS } from "../../lib/addresses";
import { DEFAULT_ADMIN_CERT_RENEWAL_HOURS } from "../../lib/admin-client-certificate";
import { credentialExpiries, CredentialExpiry, describeExpiry, shownDate } from "../../operations/credential-expiry";
import { StackState } from "../../operations/state";
import { attributesOf, recordedState, RecordedState, withoutResources } from "./support/recorded-state";

const HOUR_MS = 3600 * 1000;

/** A certificate's end of validity, read with node's own X.509 parser. */
function validTo(pem: string): Date {
  return new Date(new X509Certificate(pem).validTo);
}

/** The base64 PEM of the admin kubeconfig's client certificate, as the recorded kubeconfig output holds it. */
function kubeconfigCertificate(state: RecordedState): string {
  return (state.outputs.kubeconfig.value as { client_certificate: string }).client_certificate;
}

/** The recorded state with null_resource.kubeconfig's triggers as a deploy writes them (the recording redacted them). */
function withKubeconfig(state: RecordedState): RecordedState {
  const triggers = attributesOf(state, KUBECONFIG_ADDRESS).triggers as Record<string, string>;
  triggers.kubernetes_client_configuration = JSON.stringify({ client_certificate: kubeconfigCertificate(state), client_key: "REDACTED" });
  return state;
}

const RECORDED = recordedState();
/** When the stack's own admin certificate expires (2027-12-05 21:21:30 UTC). */
const ADMIN_NOT_AFTER = validTo(attributesOf(RECORDED, ADMIN_CERTIFICATE_ADDRESS).cert_pem as string);
/** When provider 0.5.0's certificate in the secrets expires. */
const LEGACY_NOT_AFTER = validTo(
  Buffer.from((attributesOf(RECORDED, SECRETS_ADDRESS).client_configuration as { client_certificate: string }).client_certificate, "base64").toString("utf8"),
);
const KUBECONFIG_NOT_AFTER = validTo(Buffer.from(kubeconfigCertificate(RECORDED), "base64").toString("utf8"));
/** The recorded certificate renews 720 hours (30 days) before it expires. */
const ADMIN_RENEWS_FROM = new Date(ADMIN_NOT_AFTER.getTime() - 720 * HOUR_MS);

describe("credentialExpiries of the recorded state", () => {
  test("the recorded certificates are a year's, and the admin certificate renews 720 hours before its end", () => {
    expect(ADMIN_NOT_AFTER.toISOString()).toBe("2027-12-05T23:59:08.000Z");
    expect(attributesOf(RECORDED, ADMIN_CERTIFICATE_ADDRESS).early_renewal_hours).toBe(720);
  });

  test("before the renewal window the admin certificate is neither due nor expired, and renews from 720 hours before expiry", () => {
    const now = new Date(ADMIN_RENEWS_FROM.getTime() - 1000);
    expect(credentialExpiries(new StackState(recordedState()), now)).toEqual<CredentialExpiry[]>([
      { credential: "admin client certificate", notAfter: ADMIN_NOT_AFTER, renewsFrom: ADMIN_RENEWS_FROM, due: false, expired: false, legacy: false },
    ]);
  });

  test("from the start of the renewal window it is due", () => {
    const [atStart] = credentialExpiries(new StackState(recordedState()), ADMIN_RENEWS_FROM);
    expect(atStart).toMatchObject({ due: true, expired: false });
    const [inside] = credentialExpiries(new StackState(recordedState()), new Date(ADMIN_NOT_AFTER.getTime() - HOUR_MS));
    expect(inside).toMatchObject({ due: true, expired: false });
  });

  test("from its end of validity it is expired, and still due", () => {
    const [atEnd] = credentialExpiries(new StackState(recordedState()), ADMIN_NOT_AFTER);
    expect(atEnd).toMatchObject({ due: true, expired: true });
    const [later] = credentialExpiries(new StackState(recordedState()), new Date(ADMIN_NOT_AFTER.getTime() + 90 * 24 * HOUR_MS));
    expect(later).toMatchObject({ due: true, expired: true });
  });

  test("the renewal window is the one the state records, not the default", () => {
    const state = recordedState();
    attributesOf(state, ADMIN_CERTIFICATE_ADDRESS).early_renewal_hours = 48;
    const now = new Date(ADMIN_NOT_AFTER.getTime() - 72 * HOUR_MS);
    const [expiry] = credentialExpiries(new StackState(state), now);
    expect(expiry.renewsFrom).toEqual(new Date(ADMIN_NOT_AFTER.getTime() - 48 * HOUR_MS));
    expect(expiry.due).toBe(false);
  });

  test("the redacted kubeconfig triggers give no kubeconfig credential; a deploy's triggers give one, renewed with the admin certificate's window", () => {
    const now = new Date(ADMIN_RENEWS_FROM.getTime() - 1000);
    expect(credentialExpiries(new StackState(recordedState()), now).map((expiry) => expiry.credential)).toEqual(["admin client certificate"]);
    const [admin, kubeconfig] = credentialExpiries(new StackState(withKubeconfig(recordedState())), now);
    expect(admin.credential).toBe("admin client certificate");
    expect(kubeconfig).toEqual<CredentialExpiry>({
      credential: "admin kubeconfig",
      notAfter: KUBECONFIG_NOT_AFTER,
      renewsFrom: new Date(KUBECONFIG_NOT_AFTER.getTime() - 720 * HOUR_MS),
      due: false,
      expired: false,
      legacy: false,
    });
  });
});

describe("credentialExpiries of a state from before the stack signed its own certificate", () => {
  const legacyState = () => withoutResources(recordedState(), ADMIN_CERTIFICATE_ADDRESS, ADMIN_KEY_ADDRESS);

  test("provider 0.5.0's certificate is legacy: due at once, whatever its end of validity", () => {
    const now = new Date("2027-01-01T00:00:00Z");
    expect(credentialExpiries(new StackState(legacyState()), now)).toEqual<CredentialExpiry[]>([
      { credential: "admin client certificate", notAfter: LEGACY_NOT_AFTER, renewsFrom: now, due: true, expired: false, legacy: true },
    ]);
  });

  test("it expires like any certificate", () => {
    const [expiry] = credentialExpiries(new StackState(legacyState()), LEGACY_NOT_AFTER);
    expect(expiry).toMatchObject({ legacy: true, due: true, expired: true });
  });

  test("the kubeconfig's certificate renews with the default window there", () => {
    const now = new Date("2027-01-01T00:00:00Z");
    const [, kubeconfig] = credentialExpiries(new StackState(withKubeconfig(legacyState())), now);
    expect(kubeconfig.renewsFrom).toEqual(new Date(KUBECONFIG_NOT_AFTER.getTime() - DEFAULT_ADMIN_CERT_RENEWAL_HOURS * HOUR_MS));
    expect(kubeconfig.legacy).toBe(false);
  });
});

test("a state without a cluster has no credentials", () => {
  expect(credentialExpiries(new StackState({}), new Date("2027-01-01T00:00:00Z"))).toEqual([]);
  const withoutSecrets = withoutResources(recordedState(), SECRETS_ADDRESS, ADMIN_CERTIFICATE_ADDRESS, ADMIN_KEY_ADDRESS, KUBECONFIG_ADDRESS);
  expect(credentialExpiries(new StackState(withoutSecrets), new Date("2027-01-01T00:00:00Z"))).toEqual([]);
});

describe("what users read", () => {
  test("a date is shown to the minute, in UTC", () => {
    expect(shownDate(new Date("2027-11-29T18:05:59.999Z"))).toBe("2027-11-29 18:05 UTC");
    expect(shownDate(ADMIN_NOT_AFTER)).toBe("2027-12-05 23:59 UTC");
  });

  test("a valid certificate before its window says from when a deploy renews it", () => {
    const [expiry] = credentialExpiries(new StackState(recordedState()), new Date("2027-01-01T00:00:00Z"));
    expect(describeExpiry(expiry)).toBe("admin client certificate: valid until 2027-12-05 23:59 UTC; a deploy from 2027-11-05 23:59 UTC renews it");
  });

  test("a certificate inside its window says the next deploy renews it", () => {
    const [expiry] = credentialExpiries(new StackState(recordedState()), new Date("2027-11-20T00:00:00Z"));
    expect(describeExpiry(expiry)).toBe("admin client certificate: valid until 2027-12-05 23:59 UTC; the next deploy renews it");
  });

  test("an expired certificate says so, and that the next deploy renews it", () => {
    const [expiry] = credentialExpiries(new StackState(recordedState()), new Date("2028-01-01T00:00:00Z"));
    expect(describeExpiry(expiry)).toBe("admin client certificate: expired 2027-12-05 23:59 UTC; the next deploy renews it");
  });

  test("provider 0.5.0's certificate says the next deploy replaces it with one that renews itself", () => {
    const state = withoutResources(recordedState(), ADMIN_CERTIFICATE_ADDRESS, ADMIN_KEY_ADDRESS);
    const [expiry] = credentialExpiries(new StackState(state), new Date("2027-01-01T00:00:00Z"));
    expect(describeExpiry(expiry)).toBe(
      "admin client certificate: valid until 2027-12-05 23:59 UTC; signed once by provider 0.5.0, the next deploy replaces it with one that renews itself",
    );
  });

  test("the kubeconfig's line names it", () => {
    const [, kubeconfig] = credentialExpiries(new StackState(withKubeconfig(recordedState())), new Date("2027-01-01T00:00:00Z"));
    expect(describeExpiry(kubeconfig)).toBe("admin kubeconfig: valid until 2027-12-05 23:59 UTC; a deploy from 2027-11-05 23:59 UTC renews it");
  });
});
