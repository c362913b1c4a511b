// The READMEs' snippets, run as programs. Every ```ts and ```js block of the READMEs below is written
// to a file in the `.readme` directory of the package it belongs to (a package's README: that
// package; the root README: the @fast-langgraph package the block imports first), so that the block
// imports the package by its published name through its `exports` (Node's self-reference, which needs
// the built dist: run `pnpm build` first, as `pnpm test:readme` does) and its devDependencies resolve.
// ts blocks are type-checked with the package's tsconfig and TypeScript, then run with its tsx; js
// blocks run as ES modules with plain node. Each block runs in an empty temporary directory (its cwd
// and TMPDIR), so relative paths and os.tmpdir() land there; it fails if it throws, exits non-zero,
// writes to stderr or runs longer than a minute. Failures name the README and line. The type checks
// run beside the blocks, one process of each at a time. Arguments, if
// any, pick READMEs by path (`node tests/readme/run.mjs packages/cache-rust/README.md`); `--verbose`
// prints what each block printed, to check the comments that say what it prints.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const READMES = [
  "README.md",
  "packages/checkpoint-rust/README.md",
  "packages/cache-rust/README.md",
  "packages/state-rust/README.md",
  "packages/profiler/README.md",
  "packages/serde/README.md",
  "crates/node/README.md",
];
const LANGUAGES = { ts: "mts", typescript: "mts", js: "mjs", javascript: "mjs" };
const TIMEOUT_MS = 60_000;
const started = Date.now();
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));

const args = process.argv.slice(2);
const verbose = args.includes("--verbose");
const selected = args.filter((arg) => arg !== "--verbose").map((arg) => relative(root, resolve(arg)));
for (const path of selected)
  if (!READMES.includes(path)) throw new Error(`${path} is not one of ${READMES.join(", ")}`);
const readmes = selected.length > 0 ? selected : READMES;

const packages = workspacePackages();
const blocks = readmes.flatMap(extractBlocks);
const homes = [...new Set(blocks.map((b) => b.home))];
const work = mkdtempSync(join(tmpdir(), "flg-readme-"));
const failures = [];

try {
  for (const home of homes) {
    checkBuilt(home);
    rmSync(join(root, home, ".readme"), { recursive: true, force: true });
    mkdirSync(join(root, home, ".readme"));
  }
  for (const block of blocks) writeFileSync(join(root, block.file), block.code);

  // The type checks beside the runs: one process each at a time, on a machine of two cores.
  await Promise.all([
    (async () => {
      for (const home of homes)
        await typecheck(
          home,
          blocks.filter((b) => b.home === home && b.ext === "mts"),
        );
    })(),
    (async () => {
      for (const block of blocks) await runBlock(block);
    })(),
  ]);
} finally {
  for (const home of homes) rmSync(join(root, home, ".readme"), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.error(`\nreadme test failed (${blocks.length} blocks from ${readmes.length} READMEs, ${seconds} s):`);
  for (const failure of failures) console.error(`\n${failure}`);
  process.exit(1);
}
console.log(`readme test passed: ${blocks.length} blocks from ${readmes.length} READMEs in ${seconds} s`);

/** The directory of each package a root README block may import, by name. */
function workspacePackages() {
  const dirs = ["crates/node", ...readdirSync(join(root, "packages")).map((name) => `packages/${name}`)];
  return new Map(dirs.map((dir) => [readJson(join(root, dir, "package.json")).name, dir]));
}

/** The ts and js fenced blocks of a README, each with the line of its opening fence and its home. */
function extractBlocks(readme) {
  const lines = readFileSync(join(root, readme), "utf8").split("\n");
  const readmeDir = dirname(readme);
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const start = i;
    const body = [];
    for (i++; i < lines.length && !lines[i].trimStart().startsWith(fence); i++)
      body.push(lines[i].slice(indent.length));
    const ext = LANGUAGES[info.toLowerCase()];
    if (!ext) continue;
    const line = start + 1;
    const code = body.join("\n") + "\n";
    const where = `${readme}:${line}`;
    // A package's README runs in that package; the workspace root's in the package the block imports.
    let home = readme === "README.md" ? undefined : readmeDir;
    if (!home) {
      const name = /from\s+["'](@fast-langgraph\/[\w-]+)/.exec(code)?.[1];
      home = packages.get(name);
      if (!home) throw new Error(`${where}: a block of the root README must import an @fast-langgraph package`);
    }
    const stem = `${readme === "README.md" ? "root" : basename(readmeDir)}-${line}`;
    found.push({ readme, line, where, code, ext, home, file: join(home, ".readme", `${stem}.${ext}`) });
  }
  return found;
}

/** The package's entry points exist: the blocks import its build, not its source. */
function checkBuilt(home) {
  const { exports } = readJson(join(root, home, "package.json"));
  const entry = exports["."].import?.default ?? exports["."].default;
  if (!existsSync(join(root, home, entry))) {
    throw new Error(`${home}/${entry} is missing: run pnpm build first (pnpm test:readme does)`);
  }
}

/** Type-checks a package's ts blocks with its own tsconfig; errors are reported at the README's lines. */
async function typecheck(home, mts) {
  if (mts.length === 0) return;
  const config = join(root, home, ".readme", "tsconfig.json");
  writeFileSync(config, JSON.stringify({ extends: "../tsconfig.json", include: ["*.mts"] }));
  const tsc = devDependency(home, "typescript/bin/tsc");
  if (!tsc) return console.log(`FAIL typecheck ${home}: it has no typescript`);
  const t0 = Date.now();
  const { code, stdout, stderr } = await run(process.execPath, [tsc, "-p", config, "--pretty", "false"], root);
  if (code === 0) {
    console.log(`ok typecheck ${home}: ${mts.length} blocks (${ms(t0)})`);
    return;
  }
  const byFile = new Map(mts.map((b) => [basename(b.file), b]));
  const errors = (stdout + stderr)
    .trim()
    .split("\n")
    .map((line) => {
      const m = /^(?:.*\/)?([^/(]+\.mts)\((\d+),(\d+)\): (.*)$/.exec(line);
      const block = m && byFile.get(m[1]);
      return block ? `${block.readme}:${block.line + Number(m[2])}:${m[3]}: ${m[4]}` : line;
    });
  console.log(`FAIL typecheck ${home}`);
  failures.push(`typecheck of the ts blocks run in ${home}:\n${errors.join("\n")}`);
}

async function runBlock(block) {
  const cwd = join(work, basename(block.file));
  mkdirSync(cwd);
  const args = [];
  if (block.ext === "mts") {
    const tsx = devDependency(block.home, "tsx");
    if (!tsx) return console.log(`FAIL ${block.where}: ${block.home} has no tsx`);
    args.push("--import", pathToFileURL(tsx).href);
  }
  args.push(join(root, block.file));
  const t0 = Date.now();
  const { code, signal, stdout, stderr, timedOut } = await run(process.execPath, args, cwd, { TMPDIR: cwd });
  const problem = timedOut
    ? `ran longer than ${TIMEOUT_MS / 1000} s`
    : code !== 0
      ? `exited with ${signal ?? `code ${code}`}`
      : stderr.length > 0
        ? "wrote to stderr"
        : undefined;
  if (!problem) {
    console.log(`ok ${block.where} (in ${block.home}, ${ms(t0)})`);
    if (verbose && stdout.trim()) console.log(stdout.trimEnd().replace(/^/gm, "    "));
    return;
  }
  console.log(`FAIL ${block.where}: ${problem}`);
  failures.push(
    [`${block.where} (run in ${block.home}): ${problem}`, section("stdout", stdout), section("stderr", stderr)]
      .map((text) => atReadmeLines(text, block))
      .filter(Boolean)
      .join("\n"),
  );
}

/** A module as the package resolves it, or undefined (and a failure) when the package lacks it. */
function devDependency(home, specifier) {
  try {
    return createRequire(join(root, home, "package.json")).resolve(specifier);
  } catch {
    const name = specifier.split("/")[0];
    const failure = `${home} cannot resolve ${name}, which its ts blocks need: add it to its devDependencies`;
    if (!failures.includes(failure)) failures.push(failure);
    return undefined;
  }
}

/** `.../.readme/<file>:<line>` in a stack trace, as the README's line. */
function atReadmeLines(text, block) {
  const file = join(root, block.file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return text.replace(
    new RegExp(`(?:file://)?${file}:(\\d+)`, "g"),
    (_, n) => `${block.readme}:${block.line + Number(n)}`,
  );
}

function section(name, text) {
  return text.trim() ? `--- ${name}\n${text.trimEnd()}` : "";
}

function ms(t0) {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

function run(cmd, args, cwd, env = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, TIMEOUT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}
