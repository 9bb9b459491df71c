#!/usr/bin/env node
// npm run synth, and the app as `cdktf synth|deploy` runs it (cdktf.json "app"):
// main.ts and what it imports bundled into .build/app/main.js by esbuild, rebuilt
// only when the content of one of the files the bundle was built from changed
// (esbuild's own list of its inputs, with their digest). Synth runs on every
// deploy; this keeps it close to the cost of loading cdktf itself (npm run bench).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");

// cdktf runs the app without arguments; by hand, --help is the only one (operations/script-commands.ts has it).
const [argument] = process.argv.slice(2);
if (argument === "--help" || argument === "-h") {
  const help = require("child_process").spawnSync(process.execPath, ["-r", "esbuild-register", path.join(__dirname, "help.ts"), "synth"], { stdio: "inherit" });
  process.exit(help.status ?? 1);
}
if (argument !== undefined) {
  process.stderr.write(`synth: ${argument.startsWith("-") ? "unknown option" : "unexpected argument"} ${argument}; npm run synth -- --help\n`);
  process.exit(2);
}
const bundle = path.join(root, ".build", "app", "main.js");
const inputsFile = `${bundle}.inputs.json`;

/** The digest of the files, by content: undefined when one is gone. */
function digestOf(files) {
  const hash = crypto.createHash("sha256");
  for (const file of files) {
    const absolute = path.join(root, file);
    if (!fs.existsSync(absolute)) return undefined;
    hash.update(`${file}\0`).update(fs.readFileSync(absolute));
  }
  return hash.digest("hex");
}

/** Whether the bundle was built from the files as they are now. */
function bundleIsCurrent() {
  if (!fs.existsSync(bundle) || !fs.existsSync(inputsFile)) return false;
  try {
    const { inputs, digest } = JSON.parse(fs.readFileSync(inputsFile, "utf8"));
    return digestOf(inputs) === digest;
  } catch {
    return false;
  }
}

if (!bundleIsCurrent()) {
  fs.mkdirSync(path.dirname(bundle), { recursive: true });
  // Built beside and renamed into place: a concurrent synth never loads half a bundle.
  const partial = `${bundle}.${process.pid}`;
  const { metafile } = require("esbuild").buildSync({
    entryPoints: [path.join(root, "main.ts")],
    outfile: partial,
    bundle: true,
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
    metafile: true,
    absWorkingDir: root,
  });
  const inputs = Object.keys(metafile.inputs).sort();
  fs.writeFileSync(`${inputsFile}.${process.pid}`, JSON.stringify({ inputs, digest: digestOf(inputs) }));
  fs.renameSync(partial, bundle);
  fs.renameSync(`${inputsFile}.${process.pid}`, inputsFile);
}
require(bundle);
