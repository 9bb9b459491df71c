import { kernelInterfaceNames, namesInterfacesPredictably } from "../../lib/interface-names";

describe("namesInterfacesPredictably", () => {
  test.each([
    ["v1.5.0", true],
    ["1.5.0", true],
    ["v1.7.4", true],
    ["v1.10.2", true],
    ["v2.0.0", true],
    ["v1.4.8", false],
    ["1.3.0", false],
    ["v0.14.3", false],
  ])("Talos %s names interfaces predictably on a fresh install: %s", (version, predictable) => {
    expect(namesInterfacesPredictably(version)).toBe(predictable);
  });

  test("a version without a minor, or no version at all, is not taken to name interfaces predictably", () => {
    expect(namesInterfacesPredictably("v1")).toBe(false);
    expect(namesInterfacesPredictably("latest")).toBe(false);
    expect(namesInterfacesPredictably("")).toBe(false);
  });
});

describe("kernelInterfaceNames", () => {
  test("reports each interface selected by a kernel name, with its line and field", () => {
    const yaml = [
      "machine:",
      "  network:",
      "    interfaces:",
      "      - interface: eth0",
      "        dhcp: true",
      "      - deviceSelector:",
      "          busPath: \"0*\"",
      "      - interface: \"eth1\"",
      "        vip:",
      "          ip: 192.168.1.101",
    ].join("\n");
    expect(kernelInterfaceNames(yaml)).toEqual([
      { line: 4, field: "machine.network.interfaces[0].interface", name: "eth0" },
      { line: 8, field: "machine.network.interfaces[2].interface", name: "eth1" },
    ]);
  });

  test("lines count from the start of the file across documents", () => {
    const yaml = [
      "machine:",
      "  install:",
      "    disk: /dev/sda",
      "---",
      "machine:",
      "  network:",
      "    interfaces:",
      "      - interface: enp1s0",
      "      - interface: eth12",
    ].join("\n");
    expect(kernelInterfaceNames(yaml)).toEqual([{ line: 9, field: "machine.network.interfaces[1].interface", name: "eth12" }]);
  });

  test("predictable names, bonds and bridges are not kernel names", () => {
    const yaml = [
      "machine:",
      "  network:",
      "    interfaces:",
      "      - interface: enp1s0",
      "      - interface: eno1",
      "      - interface: bond0",
      "      - interface: br0",
      "      - interface: ethernet0",
    ].join("\n");
    expect(kernelInterfaceNames(yaml)).toEqual([]);
  });

  test("a patch without interfaces, or whose interfaces are no list, names none", () => {
    expect(kernelInterfaceNames("machine:\n  network:\n    hostname: node-1\n")).toEqual([]);
    expect(kernelInterfaceNames("machine:\n  network:\n    interfaces:\n      interface: eth0\n")).toEqual([]);
    expect(kernelInterfaceNames("cluster:\n  network:\n    interfaces:\n      - interface: eth0\n")).toEqual([]);
    expect(kernelInterfaceNames("")).toEqual([]);
  });

  test("a name that is no string is not a kernel name", () => {
    expect(kernelInterfaceNames("machine:\n  network:\n    interfaces:\n      - interface: 0\n      - interface: [eth0]\n")).toEqual([]);
  });
});
