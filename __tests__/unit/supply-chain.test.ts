import { unpinnedReferences } from "../../lib/supply-chain";

describe("unpinnedReferences: container images", () => {
  test("an image pinned to a release tag or a digest is fine", () => {
    const yaml = [
      "machine:",
      "  install:",
      "    image: ghcr.io/siderolabs/installer:v1.7.4",
      "  kubelet:",
      "    image: ghcr.io/siderolabs/kubelet@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
      "cluster:",
      "  inlineManifests:",
      "    - name: job",
      "      contents: |",
      "        containers:",
      "          - image: registry.local:5000/tools/cilium-cli:0.16.10",
      "          - image: \"quay.io/cilium/cilium:v1.15.6\"",
      "          - image: 'busybox:1.36'",
    ].join("\n");
    expect(unpinnedReferences(yaml)).toEqual([]);
  });

  test("an image without a tag, with :latest, or following a branch is reported with its 1-based line", () => {
    const yaml = [
      "cluster:",
      "  inlineManifests:",
      "    - name: job",
      "      contents: |",
      "        containers:",
      "          - image: busybox",
      "          - image: nginx:latest",
      "          - image: \"ghcr.io/org/tool:main\"",
      "          - image: ghcr.io/org/tool:edge",
      "          - image: registry.local:5000/tools/cilium-cli",
    ].join("\n");
    expect(unpinnedReferences(yaml)).toEqual([
      { line: 6, message: "image busybox is not pinned to a release (tag or digest)" },
      { line: 7, message: "image nginx:latest is not pinned to a release (tag or digest)" },
      { line: 8, message: "image ghcr.io/org/tool:main is not pinned to a release (tag or digest)" },
      { line: 9, message: "image ghcr.io/org/tool:edge is not pinned to a release (tag or digest)" },
      { line: 10, message: "image registry.local:5000/tools/cilium-cli is not pinned to a release (tag or digest)" },
    ]);
  });

  test("every branch-like tag counts as unpinned: main, master, edge, nightly, dev", () => {
    for (const tag of ["main", "master", "edge", "nightly", "dev"]) {
      expect(unpinnedReferences(`image: example.org/app:${tag}`)).toEqual([{ line: 1, message: `image example.org/app:${tag} is not pinned to a release (tag or digest)` }]);
    }
    // A tag that merely starts like a branch names a build.
    expect(unpinnedReferences("image: example.org/app:main-2024.06.01")).toEqual([]);
  });

  test("a comment after the image is not part of it", () => {
    expect(unpinnedReferences("    image: busybox # latest is fine here")).toEqual([
      { line: 1, message: "image busybox is not pinned to a release (tag or digest)" },
    ]);
  });

  test("a template placeholder and a commented-out image are not references", () => {
    expect(unpinnedReferences(["image: \"{{ .Values.image }}\"", "image: {{image}}", "# image: busybox:latest"].join("\n"))).toEqual([]);
  });
});

describe("unpinnedReferences: manifest URLs", () => {
  test("a URL that names a release is fine", () => {
    const yaml = [
      "cluster:",
      "  extraManifests:",
      "    - https://raw.githubusercontent.com/alex1989hu/kubelet-serving-cert-approver/v0.8.5/deploy/standalone-install.yaml",
      "    - https://github.com/kubernetes-sigs/metrics-server/releases/download/v0.7.1/components.yaml",
      "    - https://example.org/charts/1.2/values.json",
    ].join("\n");
    expect(unpinnedReferences(yaml)).toEqual([]);
  });

  test("a URL that follows a branch or latest, or names no release, is reported with its line", () => {
    const yaml = [
      "cluster:",
      "  extraManifests:",
      "    - https://raw.githubusercontent.com/org/repo/main/deploy/install.yaml",
      "    - https://github.com/org/repo/releases/latest/download/install.yml",
      "    - \"https://example.org/manifests/install.yaml\"",
      "    - https://raw.githubusercontent.com/org/repo/v1.2.3/HEAD/x.json",
    ].join("\n");
    expect(unpinnedReferences(yaml)).toEqual([
      { line: 3, message: "manifest https://raw.githubusercontent.com/org/repo/main/deploy/install.yaml is not pinned to a release" },
      { line: 4, message: "manifest https://github.com/org/repo/releases/latest/download/install.yml is not pinned to a release" },
      { line: 5, message: "manifest https://example.org/manifests/install.yaml is not pinned to a release" },
      { line: 6, message: "manifest https://raw.githubusercontent.com/org/repo/v1.2.3/HEAD/x.json is not pinned to a release" },
    ]);
  });

  test("a host's address is no release: only the path can name one", () => {
    expect(unpinnedReferences("extraManifests:\n  - https://192.168.1.10/manifests/install.yaml\n")).toEqual([
      { line: 2, message: "manifest https://192.168.1.10/manifests/install.yaml is not pinned to a release" },
    ]);
    expect(unpinnedReferences("extraManifests:\n  - https://192.168.1.10/v0.7.1/components.yaml\n")).toEqual([]);
  });

  test("two URLs on one line are each reported", () => {
    const line = "extraManifests: [https://example.org/a/main/a.yaml, https://example.org/b/v2.0.0/b.yaml, http://example.org/c.yaml]";
    expect(unpinnedReferences(line)).toEqual([
      { line: 1, message: "manifest https://example.org/a/main/a.yaml is not pinned to a release" },
      { line: 1, message: "manifest http://example.org/c.yaml is not pinned to a release" },
    ]);
  });

  test("a commented-out URL, and a URL that is no manifest, are not references", () => {
    expect(unpinnedReferences(["# - https://example.org/main/install.yaml", "    endpoint: https://example.org/main/api"].join("\n"))).toEqual([]);
  });

  test("an empty patch has nothing unpinned", () => {
    expect(unpinnedReferences("")).toEqual([]);
  });
});
