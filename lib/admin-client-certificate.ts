import { CertRequest } from "@cdktf/provider-tls/lib/cert-request";
import { LocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { MachineSecrets } from "../.gen/providers/talos/machine-secrets";
import { ADDRESSES } from "./addresses";
import { atAddress } from "./terraform-address";

/** How long the admin client certificate is valid, in hours: Talos' own default, one year. */
export const DEFAULT_ADMIN_CERT_VALIDITY_HOURS = 8760;
/** How long before it expires a deploy renews it, in hours (30 days). */
export const DEFAULT_ADMIN_CERT_RENEWAL_HOURS = 720;

/** A Talos API client configuration, as provider 0.5.0's resources take it (base64 PEM). */
export interface TalosClientConfiguration {
  readonly caCertificate: string;
  readonly clientCertificate: string;
  readonly clientKey: string;
}

/** Properties of an {@link AdminClientCertificate}. */
export interface AdminClientCertificateProps {
  /** `talos_machine_secrets.this`, whose OS CA signs the certificate. */
  readonly machineSecrets: MachineSecrets;
  /** How long the certificate is valid, in hours (a number token, e.g. `var.admin_cert_validity_hours`). */
  readonly validityHours: number;
  /** How long before expiry any deploy renews it, in hours (a number token). */
  readonly renewalHours: number;
}

/**
 * The Talos admin client certificate every talos resource, data source and
 * maintenance script talks to the nodes with: an ED25519 key and a
 * certificate of organization `os:admin`, signed with the OS CA of the
 * cluster secrets, renewed by any deploy inside its renewal window.
 *
 * Provider 0.5.0 signs one when the secrets are created, valid for a year,
 * and never renews it (0.6.0 learned that): a year later every deploy, and
 * the owner's talosconfig, would fail with a TLS error. Nothing here needs
 * the previous certificate to be valid: only the CA in the state, so a
 * cluster whose certificate has expired recovers with one deploy.
 */
export class AdminClientCertificate extends Construct {
  /** `tls_private_key.admin`. */
  readonly privateKey: PrivateKey;
  /** `tls_cert_request.admin`. */
  readonly certificateRequest: CertRequest;
  /** `tls_locally_signed_cert.admin`: replaced inside the renewal window. */
  readonly certificate: LocallySignedCert;
  /** The client configuration for provider 0.5.0's `client_configuration` arguments. */
  readonly clientConfiguration: TalosClientConfiguration;

  constructor(scope: Construct, id: string, props: AdminClientCertificateProps) {
    super(scope, id);
    const osCa = props.machineSecrets.machineSecrets.certs.os;

    this.privateKey = atAddress(new PrivateKey(this, "private-key", { algorithm: "ED25519" }), ADDRESSES.adminKey);
    this.certificateRequest = atAddress(
      new CertRequest(this, "certificate-request", {
        privateKeyPem: this.privateKey.privateKeyPem,
        // Talos reads the client's roles from the organization.
        subject: [{ commonName: "admin", organization: "os:admin" }],
      }),
      ADDRESSES.adminCertificateRequest,
    );
    this.certificate = atAddress(
      new LocallySignedCert(this, "certificate", {
        certRequestPem: this.certificateRequest.certRequestPem,
        caCertPem: Fn.base64decode(osCa.cert),
        // Talos labels its PKCS#8 ED25519 key "ED25519 PRIVATE KEY"; the tls provider reads PKCS#8
        // only under the standard label, so the "ED25519 " goes (base64 has no spaces).
        caPrivateKeyPem: Fn.replace(Fn.base64decode(osCa.key), "ED25519 ", ""),
        validityPeriodHours: props.validityHours,
        earlyRenewalHours: props.renewalHours,
        allowedUses: ["digital_signature", "client_auth"],
        // Provider 0.5.0 recomputes machine_secrets whenever talos_version changes, so the CA
        // reads as unknown in the plan of every Talos upgrade, which would re-sign the
        // certificate each time. The CA itself never changes (the secrets are never replaced).
        lifecycle: { ignoreChanges: ["ca_cert_pem", "ca_private_key_pem"] },
      }),
      ADDRESSES.adminCertificate,
    );

    this.clientConfiguration = {
      caCertificate: osCa.cert,
      clientCertificate: Fn.base64encode(this.certificate.certPem),
      clientKey: Fn.base64encode(this.privateKey.privateKeyPem),
    };
  }
}
