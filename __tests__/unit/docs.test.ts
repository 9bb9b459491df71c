/**
 * The README and docs/, checked against the tree: the README stays short,
 * every relative link lands, and every variable and npm script they name
 * exists in the code and in package.json.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../lib/project-paths";

/** README.md and every docs/*.md, relative to the project. */
const DOCUMENTS = [
  "README.md",
  ...readdirSync(path.join(PROJECT_ROOT, "docs"))
    .filter((file) => file.endsWith(".md"))
    .map((file) => path.join("docs", file)),
];

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");

/** A document's text without its fenced code blocks (a link or heading there is no link or heading). */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
}

/** GitHub's anchors of a document's headings: lower case, punctuation dropped, spaces to hyphens; repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading
      .replace(/`/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The relative links of a document's prose: `[text](target)`, without web and mail addresses. */
function relativeLinks(text: string): string[] {
  const withoutCode = prose(text).replace(/`[^`\n]*`/g, "");
  return [...withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map(([, target]) => target)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** The code the documents describe: every source and script of these folders, and main.ts. */
const CODE = ["lib", "operations", "commands", "setup", "testing"]
  .flatMap((folder) =>
    readdirSync(path.join(PROJECT_ROOT, folder), { recursive: true, encoding: "utf8" })
      .filter((file) => /\.(ts|js|sh)$/.test(file))
      .map((file) => path.join(folder, file)),
  )
  .concat("main.ts")
  .map(read)
  .join("\n");

test("README.md is at most 10 KB: the first five minutes, the rest in docs/", () => {
  expect(statSync(path.join(PROJECT_ROOT, "README.md")).size).toBeLessThanOrEqual(10240);
});

test("every relative link in README.md and docs/ points to a file that exists, and to a heading there", () => {
  const broken: string[] = [];
  for (const document of DOCUMENTS) {
    for (const link of relativeLinks(read(document))) {
      const [target, anchor] = link.split("#", 2);
      const file = target === "" ? document : path.normalize(path.join(path.dirname(document), decodeURIComponent(target)));
      if (!existsSync(path.join(PROJECT_ROOT, file))) {
        broken.push(`${document}: ${link}: no file ${file}`);
        continue;
      }
      if (anchor && file.endsWith(".md") && !anchorsOf(read(file)).has(anchor)) broken.push(`${document}: ${link}: no heading #${anchor} in ${file}`);
    }
  }
  expect([...new Set(broken)]).toEqual([]);
});

test("every TF_VAR_* and CLOUDKOFFER_* variable README.md and docs/ name exists in the code", () => {
  const unknown: string[] = [];
  for (const document of DOCUMENTS) {
    for (const [name] of read(document).matchAll(/\b(TF_VAR_[a-z0-9_]+|CLOUDKOFFER_[A-Z0-9_]+)\b/g)) {
      // A Terraform variable is declared by its name (variable("node_timeout", ...)); the environment spells it TF_VAR_<name>.
      const known = CODE.includes(name) || (name.startsWith("TF_VAR_") && CODE.includes(`"${name.slice("TF_VAR_".length)}"`));
      if (!known) unknown.push(`${document}: ${name}`);
    }
  }
  expect([...new Set(unknown)]).toEqual([]);
});

test("every npm run <script> README.md and docs/ name is a script of package.json", () => {
  const scripts = Object.keys((JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts);
  const unknown: string[] = [];
  for (const document of DOCUMENTS) {
    for (const [, name] of read(document).matchAll(/\bnpm run(?:\s+(?:-s|--silent))?\s+([a-z][\w-]*(?::[\w-]+)*)/g)) {
      if (!scripts.includes(name)) unknown.push(`${document}: npm run ${name}`);
    }
  }
  expect([...new Set(unknown)]).toEqual([]);
});
