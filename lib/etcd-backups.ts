/**
 * Where etcd backups go and how many stay: one place for the stack's
 * variables (the backups its upgrades take) and npm run backup.
 */

/** How many etcd backups of a stack stay, unless told otherwise. */
export const DEFAULT_ETCD_BACKUP_KEEP = 10;

/**
 * The backups folder relative to a stack's synthesized folder
 * (`cdktf.out/stacks/<stack>`): `backups/` beside the local state, outside
 * cdktf.out.
 */
export const DEFAULT_ETCD_BACKUP_DIR = "../../../backups";
