import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from "yaml";

/** A network interface a patch names by its kernel name (eth0). */
export interface KernelInterfaceName {
  /** 1-based line of the name. */
  readonly line: number;
  /** e.g. `machine.network.interfaces[0].interface` */
  readonly field: string;
  /** e.g. `eth0` */
  readonly name: string;
}

/**
 * Whether a Talos version names network interfaces predictably on a fresh
 * install (enp1s0, eno1, ...): Talos 1.5 and later, unless the kernel
 * argument `net.ifnames=0` turns that off.
 * @param talosVersion e.g. `v1.7.4` or `1.7.4`
 */
export function namesInterfacesPredictably(talosVersion: string): boolean {
  const [major, minor] = talosVersion.replace(/^v/, "").split(".").map(Number);
  return major > 1 || (major === 1 && minor >= 5);
}

/**
 * The interfaces in `machine.network.interfaces` a patch selects by a kernel
 * name such as `eth0`. On Talos with predictable names such a name matches
 * nothing on a fresh install, so what is configured on it (DHCP, the VIP)
 * never comes up; `deviceSelector` selects the NIC by hardware instead.
 */
export function kernelInterfaceNames(yaml: string): KernelInterfaceName[] {
  const lineCounter = new LineCounter();
  const found: KernelInterfaceName[] = [];
  for (const document of parseAllDocuments(yaml, { lineCounter })) {
    const interfaces = document.getIn(["machine", "network", "interfaces"], true);
    if (!isSeq(interfaces)) continue;
    interfaces.items.forEach((item, index) => {
      const name = isMap(item) ? item.get("interface", true) : undefined;
      if (isScalar(name) && typeof name.value === "string" && /^eth\d+$/.test(name.value)) {
        found.push({
          line: lineCounter.linePos(name.range?.[0] ?? 0).line,
          field: `machine.network.interfaces[${index}].interface`,
          name: name.value,
        });
      }
    });
  }
  return found;
}
