/** A reference in a patch that does not pin what it fetches. */
export interface UnpinnedReference {
  /** 1-based line in the patch. */
  readonly line: number;
  /** What is unpinned, and why. */
  readonly message: string;
}

/** A tag or digest that names one build: not latest, not missing. */
function pinnedImage(image: string): boolean {
  if (image.includes("@sha256:")) return true;
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag !== undefined && tag !== "latest" && !/^(main|master|edge|nightly|dev)$/.test(tag);
}

/** A manifest URL whose path names a release (not the host's address), not a branch or "latest". */
function pinnedUrl(url: string): boolean {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return false;
  }
  return /\/v?\d+\.\d+(\.\d+)?[^/]*\//.test(pathname) && !/\/(latest|main|master|HEAD)\//.test(pathname);
}

/**
 * Container images and manifest URLs in a patch that may change under the
 * cluster: an image without a tag or with `:latest`, a URL that follows a
 * branch. Talos fetches extraManifests at every boot, and a Job's image at
 * every run, so what a cluster runs would drift from what was reviewed.
 */
export function unpinnedReferences(yaml: string): UnpinnedReference[] {
  const found: UnpinnedReference[] = [];
  yaml.split("\n").forEach((text, index) => {
    const image = /^\s*(?:-\s*)?image:\s*["']?([^"'\s#]+)/.exec(text)?.[1];
    if (image && !image.startsWith("{{") && !pinnedImage(image)) {
      found.push({ line: index + 1, message: `image ${image} is not pinned to a release (tag or digest)` });
    }
    for (const url of text.match(/https?:\/\/[^\s"'#]+\.(?:ya?ml|json)\b/g) ?? []) {
      if (!/^\s*#/.test(text) && !pinnedUrl(url)) {
        found.push({ line: index + 1, message: `manifest ${url} is not pinned to a release` });
      }
    }
  });
  return found;
}
