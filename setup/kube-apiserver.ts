/**
 * The real kube-apiserver of Kubernetes 1.30.1, the version the stacks
 * install, for the tests and npm start: `npm run setup -- kube-apiserver` (and
 * `npm run setup` with every step) builds it from Go modules only, the
 * k8s.io/kubernetes module and its staging modules, each pinned by its hash
 * (KUBE_APISERVER_RELEASE in setup/release-sources.ts). No deploy needs it.
 */
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-paths";
import { BuildOutcome, buildModuleRelease, builtFromModule, KUBE_APISERVER_RELEASE } from "./release-sources";

/** The kube-apiserver built from the pinned modules. */
export const KUBE_APISERVER = path.join(PROJECT_ROOT, ".build", "bin", "kube-apiserver");
/** Where {@link KUBE_APISERVER}'s provenance is recorded: the modules it was built from, with their hashes. */
export const KUBE_APISERVER_STAMP = path.join(PROJECT_ROOT, ".build", "built", `kube-apiserver-${KUBE_APISERVER_RELEASE.version}.json`);

/** Whether {@link KUBE_APISERVER} is built from the pinned modules: the kube-apiserver step is then a no-op. */
export function kubeApiserverBuilt(): boolean {
  return builtFromModule(KUBE_APISERVER_RELEASE, KUBE_APISERVER, KUBE_APISERVER_STAMP) !== undefined;
}

/**
 * Builds {@link KUBE_APISERVER} from the pinned modules (minutes of CPU the
 * first time), or finds it built; {@link stopBuilds} stops it.
 */
export function buildKubeApiserver(env: NodeJS.ProcessEnv = process.env): Promise<BuildOutcome> {
  return buildModuleRelease(KUBE_APISERVER_RELEASE, KUBE_APISERVER, KUBE_APISERVER_STAMP, env);
}
