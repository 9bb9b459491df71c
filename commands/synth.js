#!/usr/bin/env node
// The app, as `cdktf synth|deploy` (cdktf.json "app") and `npm run synth` run it:
// main.ts with lib/ and .gen/ bundled into .build/app/main.js by esbuild, rebuilt
// only when a source is newer than the bundle. Synth runs on every deploy; this
// keeps it close to the cost of loading cdktf itself (npm run bench measures it).
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const bundle = path.join(root, ".build", "app", "main.js");

/** The newest modification time of the app's TypeScript sources. */
function newestSource() {
  let newest = fs.statSync(path.join(root, "main.ts")).mtimeMs;
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(file).mtimeMs);
    }
  };
  walk(path.join(root, "lib"));
  walk(path.join(root, ".gen"));
  return newest;
}

if (!fs.existsSync(bundle) || fs.statSync(bundle).mtimeMs < newestSource()) {
  fs.mkdirSync(path.dirname(bundle), { recursive: true });
  // Built beside and renamed into place: a concurrent synth never loads half a bundle.
  const partial = `${bundle}.${process.pid}`;
  require("esbuild").buildSync({
    entryPoints: [path.join(root, "main.ts")],
    outfile: partial,
    bundle: true,
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  fs.renameSync(partial, bundle);
}
require(bundle);
