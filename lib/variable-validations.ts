import { TerraformVariableValidationConfig } from "cdktf";

/**
 * Validation blocks of the cluster variables: they run at plan, before any
 * node is touched, for `cdktf deploy` and for the handed-off Terraform alike.
 * Every message names the value that is wrong. (Conditions that read another
 * variable need Terraform 1.9 or later.)
 */

/** Kubernetes minor versions each Talos minor supports (Talos' pkg/machinery/compatibility). */
export const KUBERNETES_SUPPORTED_BY_TALOS: Readonly<Record<string, readonly [number, number]>> = {
  "1.2": [23, 25],
  "1.3": [24, 26],
  "1.4": [25, 27],
  "1.5": [26, 28],
  "1.6": [24, 29],
  "1.7": [25, 30],
  "1.8": [26, 31],
  "1.9": [27, 32],
  "1.10": [28, 33],
};

/** A release version such as 1.7.4 or v1.7.4, pre-release suffix allowed: for Terraform's regex and JavaScript's alike. */
export const VERSION_PATTERN = "^v?[0-9]+[.][0-9]+[.][0-9]+(-[0-9A-Za-z.-]+)?$";
const NODE_TIMEOUT = "^([0-9]+(ms|s|m|h))+$";

/** `node_timeout`: a duration terraform-plugin-framework-timeouts understands. */
export function nodeTimeoutValidations(): TerraformVariableValidationConfig[] {
  return [
    {
      condition: `\${can(regex("${NODE_TIMEOUT}", var.node_timeout))}`,
      errorMessage: "${jsonencode(var.node_timeout)} is not a duration such as 10m, 90s or 1h30m (node_timeout).",
    },
  ];
}

/** `etcd_backup_keep`: how many etcd backups stay, at least one. */
export function backupKeepValidations(): TerraformVariableValidationConfig[] {
  return [
    {
      condition: "${var.etcd_backup_keep == floor(var.etcd_backup_keep) && var.etcd_backup_keep >= 1}",
      errorMessage: "${var.etcd_backup_keep} is not a whole number of at least 1 (etcd_backup_keep): the backup just taken stays.",
    },
  ];
}

/** `health_timeout`: a duration, as node_timeout. */
export function healthTimeoutValidations(): TerraformVariableValidationConfig[] {
  return [
    {
      condition: `\${can(regex("${NODE_TIMEOUT}", var.health_timeout))}`,
      errorMessage: "${jsonencode(var.health_timeout)} is not a duration such as 10m, 90s or 1h30m (health_timeout).",
    },
  ];
}

/** `talos_version`: 1.7.4 or v1.7.4 (a pre-release suffix allowed). */
export function talosVersionValidations(): TerraformVariableValidationConfig[] {
  return [
    {
      condition: `\${can(regex("${VERSION_PATTERN}", var.talos_version))}`,
      errorMessage: '${jsonencode(var.talos_version)} is not a Talos version such as 1.7.4 or v1.7.4 (talos_version).',
    },
  ];
}

/** `kubernetes_version`: 1.30.1 or v1.30.1, and one that the Talos version supports. */
export function kubernetesVersionValidations(): TerraformVariableValidationConfig[] {
  const table = Object.entries(KUBERNETES_SUPPORTED_BY_TALOS)
    .map(([talos, [min, max]]) => `"${talos}" = [${min}, ${max}]`)
    .join(", ");
  const talosMinor = 'join(".", slice(split(".", trimprefix(var.talos_version, "v")), 0, 2))';
  const kubernetes = 'split(".", trimprefix(var.kubernetes_version, "v"))';
  const range = `{${table}}[${talosMinor}]`;
  return [
    {
      condition: `\${can(regex("${VERSION_PATTERN}", var.kubernetes_version))}`,
      errorMessage:
        '${jsonencode(var.kubernetes_version)} is not a Kubernetes version such as 1.30.1 (kubernetes_version).',
    },
    {
      // Unknown Talos minors and malformed versions pass here; the format checks name the latter.
      condition:
        `\${try(!contains(keys({${table}}), ${talosMinor}) || ` +
        `(tonumber(${kubernetes}[0]) == 1 && tonumber(${kubernetes}[1]) >= ${range}[0] && tonumber(${kubernetes}[1]) <= ${range}[1]), true)}`,
      errorMessage:
        "Kubernetes ${var.kubernetes_version} is not supported by Talos ${var.talos_version}: " +
        `Talos \${try(${talosMinor}, "")} supports Kubernetes 1.\${try(${range}[0], "?")} to 1.\${try(${range}[1], "?")} (kubernetes_version).`,
    },
  ];
}

/** `nodes`: IP address literals, none twice, at least one control plane. */
export function nodesValidations(): TerraformVariableValidationConfig[] {
  const all = "concat(var.nodes.controlplane, var.nodes.worker)";
  // cidrhost accepts an IPv4 or IPv6 literal with a prefix of 32, and nothing else.
  const isAddress = (a: string) => `can(cidrhost("\${${a}}/32", 0))`;
  return [
    {
      condition: `\${alltrue([for a in ${all} : ${isAddress("a")}])}`,
      errorMessage:
        `\${join(", ", [for a in ${all} : jsonencode(a) if !${isAddress("a")}])}: ` +
        "not an IPv4 or IPv6 address (nodes). Node addresses are IP literals, e.g. 192.168.1.1.",
    },
    {
      condition: `\${length(distinct(${all})) == length(${all})}`,
      errorMessage:
        `\${join(", ", [for a in distinct(${all}) : jsonencode(a) if length([for b in ${all} : b if b == a]) > 1])}: ` +
        "listed more than once (nodes). Every node is either a control plane or a worker, once.",
    },
    {
      condition: "${length(var.nodes.controlplane) > 0}",
      errorMessage: "nodes.controlplane is empty: a cluster needs at least one control plane (nodes).",
    },
  ];
}

/** An image variable: pinned by a tag other than latest, or by digest. */
export function imageValidations(variable: string): TerraformVariableValidationConfig[] {
  return [
    {
      condition: `\${can(regex("@sha256:[0-9a-f]{64}$|:[^/:]+$", var.${variable})) && !endswith(var.${variable}, ":latest")}`,
      errorMessage: `\${jsonencode(var.${variable})} is not pinned: give a release tag or a digest, not :latest (${variable}).`,
    },
  ];
}

/** `cluster_vip`: an IP address literal, and none of the nodes' (a VIP is an address no node has). */
export function clusterVipValidations(): TerraformVariableValidationConfig[] {
  return [
    {
      // As for the nodes: cidrhost accepts an IPv4 or IPv6 literal with a prefix of 32, and nothing else.
      condition: '${can(cidrhost("${var.cluster_vip}/32", 0))}',
      errorMessage: "${jsonencode(var.cluster_vip)} is not an IPv4 or IPv6 address (cluster_vip). The VIP is an IP literal, e.g. 192.168.1.101.",
    },
    {
      condition: "${!contains(concat(var.nodes.controlplane, var.nodes.worker), var.cluster_vip)}",
      errorMessage:
        "${var.cluster_vip} is a node's address too (cluster_vip): the control planes share the VIP, so it must be an address no node has.",
    },
  ];
}

/** The life of the admin kubeconfig Talos 1.7 signs (constants.KubernetesAdminCertDefaultLifetime), in hours. */
export const TALOS_ADMIN_KUBECONFIG_HOURS = 8760;

/**
 * `admin_cert_validity_hours` and `admin_cert_renewal_hours`: whole hours; the
 * certificate lives at most as long as the kubeconfig read with it, so that
 * renewing the certificate, which reads the kubeconfig again, always comes first.
 */
export function adminCertValidations(): { validity: TerraformVariableValidationConfig[]; renewal: TerraformVariableValidationConfig[] } {
  return {
    validity: [
      {
        condition: `\${var.admin_cert_validity_hours == floor(var.admin_cert_validity_hours) && var.admin_cert_validity_hours >= 1 && var.admin_cert_validity_hours <= ${TALOS_ADMIN_KUBECONFIG_HOURS}}`,
        errorMessage: `\${var.admin_cert_validity_hours} is not a whole number of hours from 1 to ${TALOS_ADMIN_KUBECONFIG_HOURS} (admin_cert_validity_hours): the admin certificate must not outlive the admin kubeconfig Talos signs for ${TALOS_ADMIN_KUBECONFIG_HOURS} hours.`,
      },
    ],
    renewal: [
      {
        condition: "${var.admin_cert_renewal_hours == floor(var.admin_cert_renewal_hours) && var.admin_cert_renewal_hours >= 0 && var.admin_cert_renewal_hours <= var.admin_cert_validity_hours}",
        errorMessage:
          "${var.admin_cert_renewal_hours} is not a whole number of hours from 0 to admin_cert_validity_hours (${var.admin_cert_validity_hours}) (admin_cert_renewal_hours).",
      },
    ],
  };
}
