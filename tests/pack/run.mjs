// The packages as users get them: every workspace package is packed with `pnpm pack` (workspace:*
// becomes a version) and installed with npm from the tarballs into fresh projects outside the
// workspace, with the @langchain peers from the registry at the versions the workspace pins. Each case
// checks what the install pulled in, then runs a graph as an ES module and as CommonJS. Run it after
// `pnpm build` (`pnpm test:pack` does both).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const started = Date.now();

// A platform package holds the binary of one machine's build: pack the one this machine built.
const platformDir = readdirSync(join(root, "crates/node/npm"))
  .map((name) => `crates/node/npm/${name}`)
  .find((dir) => existsSync(join(root, "crates/node", readJson(join(root, dir, "package.json")).main)));
assert.ok(platformDir, "crates/node has no binary for a platform package: run pnpm build");
const platformPackage = readJson(join(root, platformDir, "package.json")).name;
const packageDirs = [
  "crates/node",
  platformDir,
  ...readdirSync(join(root, "packages")).map((name) => `packages/${name}`),
];

const devDependencies = readJson(join(root, "packages/checkpoint-rust/package.json")).devDependencies;
const peers = ["@langchain/core", "@langchain/langgraph", "@langchain/langgraph-checkpoint"];
const peerSpecs = peers.map((name) => `${name}@${devDependencies[name]}`);

const cases = [
  {
    name: "checkpoint-rust alone",
    install: ["@fast-langgraph/checkpoint-rust"],
    // checkpoint-rust depends on native, which brings its platform package; serde is bundled in.
    expect: ["@fast-langgraph/checkpoint-rust", "@fast-langgraph/native", platformPackage],
    app: "checkpoint",
  },
  {
    name: "profiler alone",
    install: ["@fast-langgraph/profiler"],
    expect: ["@fast-langgraph/profiler"],
    app: "profiler",
  },
  {
    name: "all together",
    install: [
      "@fast-langgraph/checkpoint-rust",
      "@fast-langgraph/cache-rust",
      "@fast-langgraph/state-rust",
      "@fast-langgraph/profiler",
    ],
    expect: [
      "@fast-langgraph/checkpoint-rust",
      "@fast-langgraph/cache-rust",
      "@fast-langgraph/state-rust",
      "@fast-langgraph/profiler",
      "@fast-langgraph/native",
      platformPackage,
    ],
    // cache-rust's own dependency, for its in-memory store.
    thirdParty: ["lru-cache"],
    app: "all",
  },
];

const npmFlags = ["--no-audit", "--no-fund", "--prefer-offline", "--save-exact"];
const work = mkdtempSync(join(tmpdir(), "flg-pack-"));
const run = (cmd, args, cwd, env) =>
  execFileSync(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });

try {
  const tarballs = packTarballs();

  for (const c of cases) {
    const dir = newProject(c.name, tarballs, c.install);
    run("npm", ["install", ...npmFlags, ...c.install.map((name) => tarballs[name]), ...peerSpecs], dir);
    checkInstalledTree(c, dir, tarballs);
    cpSync(join(root, "tests/pack/app"), dir, { recursive: true });
    for (const entry of [`${c.app}.mjs`, `${c.app}.cjs`]) run("node", [entry], dir);
    const cli = c.install.includes("@fast-langgraph/checkpoint-rust");
    if (cli) checkImportCli(dir);
    const ran = [`${c.app}.mjs`, `${c.app}.cjs`, ...(cli ? ["fast-langgraph-import-sqlite"] : [])];
    console.log(`ok ${c.name}: installed ${c.expect.join(", ")} and the peers; ran ${ran.join(", ")}`);
  }

  checkMissingBinary(tarballs);
  rmSync(work, { recursive: true, force: true });
  console.log(`pack test passed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (err) {
  console.error(`pack test failed; its projects are kept in ${work}`);
  throw err;
}

/** Packs each package, a private one too, and returns each one's tarball by name. */
function packTarballs() {
  const out = join(work, "tarballs");
  const tarballs = {};
  for (const dir of packageDirs) {
    const { name } = readJson(join(root, dir, "package.json"));
    const before = new Set(existsSync(out) ? readdirSync(out) : []);
    run("pnpm", ["pack", "--pack-destination", out], join(root, dir));
    const [tarball] = readdirSync(out).filter((file) => !before.has(file));
    tarballs[name] = join(out, tarball);
  }
  return tarballs;
}

/**
 * A project outside the workspace whose npm resolves every @fast-langgraph package to its tarball,
 * the way it would resolve them from the registry: only those that something depends on are installed.
 */
function newProject(name, tarballs, direct) {
  const dir = join(work, name.replace(/\W+/g, "-"));
  mkdirSync(dir);
  // npm refuses an override of a direct dependency, which the install names by its tarball anyway.
  const overrides = Object.fromEntries(
    Object.entries(tarballs)
      .filter(([pkg]) => !direct.includes(pkg))
      .map(([pkg, file]) => [pkg, `file:${file}`]),
  );
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "pack-test", private: true, overrides }, null, 2));
  return dir;
}

/**
 * The install holds exactly the expected @fast-langgraph packages, each unpacked from its tarball, and
 * nothing that the peers (and the case's declared third-party dependencies) do not bring in themselves.
 */
function checkInstalledTree(c, dir, tarballs) {
  const tree = JSON.parse(run("npm", ["ls", "--all", "--json"], dir));
  const dependenciesOf = new Map();
  (function walk(deps = {}) {
    for (const [name, node] of Object.entries(deps)) {
      if (!node.version) continue; // an optional peer that nothing installed
      const names = dependenciesOf.get(name) ?? new Set();
      for (const [dep, child] of Object.entries(node.dependencies ?? {})) if (child.version) names.add(dep);
      dependenciesOf.set(name, names);
      walk(node.dependencies);
    }
  })(tree.dependencies);

  const installed = [...dependenciesOf.keys()];
  const ours = installed.filter((name) => name.startsWith("@fast-langgraph/")).sort();
  assert.deepEqual(ours, [...c.expect].sort(), `${c.name}: the @fast-langgraph packages installed`);
  for (const name of Object.keys(tarballs).filter((name) => !c.expect.includes(name))) {
    assert.ok(!existsSync(join(dir, "node_modules", name)), `${c.name}: ${name} is not installed`);
  }
  const lock = readJson(join(dir, "node_modules/.package-lock.json")).packages;
  for (const name of ours) {
    const { resolved } = lock[`node_modules/${name}`];
    assert.equal(resolve(dir, resolved.replace(/^file:/, "")), tarballs[name], `${name} unpacked from its tarball`);
  }

  const reachable = new Set();
  const queue = [...peers, ...(c.thirdParty ?? [])];
  while (queue.length) {
    const name = queue.pop();
    if (reachable.has(name)) continue;
    reachable.add(name);
    queue.push(...(dependenciesOf.get(name) ?? []));
  }
  const extra = installed.filter((name) => !name.startsWith("@fast-langgraph/") && !reachable.has(name));
  assert.deepEqual(extra, [], `${c.name}: packages neither ours nor brought in by the peers`);

  // The addon is loaded from the platform package: the native package itself ships no binary.
  if (c.expect.includes("@fast-langgraph/native")) {
    const files = readdirSync(join(dir, "node_modules/@fast-langgraph/native"));
    assert.deepEqual(
      files.filter((file) => file.endsWith(".node")),
      [],
      "no binary in @fast-langgraph/native",
    );
  }
}

/** The migration CLI is linked as a bin and runs: without arguments it prints its usage and exits 2. */
function checkImportCli(dir) {
  const cli = spawnSync(join(dir, "node_modules/.bin/fast-langgraph-import-sqlite"), [], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.equal(cli.status, 2, `fast-langgraph-import-sqlite: ${cli.error ?? cli.stderr}`);
  assert.match(cli.stderr, /^usage: fast-langgraph-import-sqlite <from\.db> <to\.db>/);
}

/**
 * Without its platform package (`--omit=optional`), requiring or importing @fast-langgraph/native fails
 * with FLG_NATIVE_MISSING, naming the package to install and the source build; pointing
 * NAPI_RS_NATIVE_LIBRARY_PATH at the workspace's own build, the documented fallback, then loads it.
 */
function checkMissingBinary(tarballs) {
  const dir = newProject("native without its platform package", tarballs, ["@fast-langgraph/native"]);
  run("npm", ["install", ...npmFlags, "--omit=optional", tarballs["@fast-langgraph/native"]], dir);
  assert.ok(!existsSync(join(dir, "node_modules", platformPackage)), `${platformPackage} left out`);

  cpSync(join(root, "tests/pack/app"), dir, { recursive: true });
  for (const entry of ["load-native.cjs", "load-native.mjs"]) {
    const err = JSON.parse(run("node", [entry], dir));
    assert.equal(err.code, "FLG_NATIVE_MISSING", `${entry}: ${JSON.stringify(err)}`);
    assert.ok(err.ours, `${entry}: a FastLangGraphError`);
    assert.ok(err.message.includes(`install ${platformPackage}`), `${entry}: names the package: ${err.message}`);
    assert.match(err.message, /from source with cargo/, `${entry}: names the source build`);
  }

  const built = join(root, "crates/node", readJson(join(root, platformDir, "package.json")).main);
  const fallback = JSON.parse(run("node", ["load-native.cjs"], dir, { NAPI_RS_NATIVE_LIBRARY_PATH: built }));
  assert.deepEqual(fallback, { loaded: true }, "NAPI_RS_NATIVE_LIBRARY_PATH loads a source build");
  console.log(
    `ok missing binary: FLG_NATIVE_MISSING names ${platformPackage}; NAPI_RS_NATIVE_LIBRARY_PATH loads a build`,
  );
}
