/**
 * When the credentials a stack's state holds expire: the admin client
 * certificate (talosconfig, and every deploy's access to the nodes) and the
 * admin kubeconfig's client certificate. A deploy inside the renewal window
 * (admin_cert_renewal_hours before expiry) renews both.
 */
import { X509Certificate } from "crypto";
import { DEFAULT_ADMIN_CERT_RENEWAL_HOURS } from "../lib/admin-client-certificate";
import { StackState } from "./state";

/** One credential's expiry. */
export interface CredentialExpiry {
  /** What it is, e.g. "admin client certificate". */
  readonly credential: string;
  readonly notAfter: Date;
  /** From when a deploy renews it. */
  readonly renewsFrom: Date;
  /** Whether a deploy now renews it (it is inside its renewal window, or expired). */
  readonly due: boolean;
  readonly expired: boolean;
  /** Provider 0.5.0's certificate, from a state from before the stack signed its own: the next deploy replaces it. */
  readonly legacy: boolean;
}

const HOUR_MS = 3600 * 1000;

/** A certificate's end of validity, from PEM or base64 PEM. */
function notAfterOf(certificate: string): Date {
  const pem = certificate.includes("BEGIN CERTIFICATE") ? certificate : Buffer.from(certificate, "base64").toString("utf8");
  return new Date(new X509Certificate(pem).validTo);
}

/** The credentials of a state and when they expire; none for a state without a cluster. */
export function credentialExpiries(state: StackState, now: Date = new Date()): CredentialExpiry[] {
  const admin = state.adminCertificate;
  const renewalHours = admin?.renewalHours ?? DEFAULT_ADMIN_CERT_RENEWAL_HOURS;
  const expiry = (credential: string, notAfter: Date, legacy = false): CredentialExpiry => {
    const renewsFrom = legacy ? now : new Date(notAfter.getTime() - renewalHours * HOUR_MS);
    return { credential, notAfter, renewsFrom, due: renewsFrom <= now, expired: notAfter <= now, legacy };
  };
  const expiries: CredentialExpiry[] = [];
  if (admin) {
    expiries.push(expiry("admin client certificate", notAfterOf(admin.certPem)));
  } else if (state.clientConfiguration) {
    expiries.push(expiry("admin client certificate", notAfterOf(state.clientConfiguration.client_certificate), true));
  }
  const kubeconfig = state.kubeconfigClientCertificate;
  if (kubeconfig) expiries.push(expiry("admin kubeconfig", notAfterOf(kubeconfig)));
  return expiries;
}

/** A date as a user reads it: 2027-11-29 18:05 UTC. */
export function shownDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** One line on a credential: until when it is valid, and when a deploy renews it. */
export function describeExpiry(expiry: CredentialExpiry): string {
  const until = `${expiry.credential}: ${expiry.expired ? "expired" : "valid until"} ${shownDate(expiry.notAfter)}`;
  if (expiry.legacy) return `${until}; signed once by provider 0.5.0, the next deploy replaces it with one that renews itself`;
  return `${until}; ${expiry.due ? "the next deploy renews it" : `a deploy from ${shownDate(expiry.renewsFrom)} renews it`}`;
}
