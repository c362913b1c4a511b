// A release rehearsal that leaves the working tree alone: in a temporary copy of HEAD with this tree's
// .changeset directory, `changeset version` applies the pending changesets, the native package and its
// platform packages must come out at one version, and `pnpm -r publish --dry-run` packs every public
// package as the release would. Run it after `pnpm build` (`pnpm release:dry` does both): the copy takes
// this tree's build outputs, which git does not hold.
import assert from "node:assert/strict";
import { execFileSync, execSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const copy = mkdtempSync(join(tmpdir(), "flg-release-"));
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const run = (cmd, args) =>
  execFileSync(cmd, args, { cwd: copy, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const changesetsBefore = readdirSync(join(root, ".changeset")).join();

try {
  execSync(`git archive HEAD | tar -x -C ${JSON.stringify(copy)}`, { cwd: root, stdio: "inherit" });
  rmSync(join(copy, ".changeset"), { recursive: true });
  cpSync(join(root, ".changeset"), join(copy, ".changeset"), { recursive: true });
  for (const output of buildOutputs()) cpSync(join(root, output), join(copy, output), { recursive: true });
  // From the store: pnpm publish resolves workspace:* through the installed links. No build scripts run.
  run("pnpm", ["install", "--frozen-lockfile", "--offline", "--ignore-scripts"]);

  run("pnpm", ["exec", "changeset", "version"]);

  const version = (dir) => readJson(join(copy, dir, "package.json")).version;
  const native = version("crates/node");
  const platforms = readdirSync(join(copy, "crates/node/npm")).map((name) => `crates/node/npm/${name}`);
  for (const dir of platforms) assert.equal(version(dir), native, `${dir} is at @fast-langgraph/native's version`);

  const publish = spawnSync("pnpm", ["-r", "publish", "--dry-run", "--no-git-checks"], { cwd: copy, encoding: "utf8" });
  process.stdout.write(publish.stdout + publish.stderr);
  assert.equal(publish.status, 0, "pnpm -r publish --dry-run failed");
  // npm lists each tarball's contents on stderr, after "📦  <name>@<version>"; a version already on
  // the registry is skipped. The platform packages go out with the native package, each with its binary.
  const listings = new Map(
    publish.stderr
      .split("📦")
      .slice(1)
      .map((block) => [/^\s*(\S+)@[^@\s]+/.exec(block)[1], block]),
  );
  if (listings.has("@fast-langgraph/native")) {
    for (const dir of platforms) {
      const { name, main } = readJson(join(copy, dir, "package.json"));
      assert.ok(listings.get(name)?.includes(main), `${name} is published with ${main}`);
    }
  }
  console.log(
    `release dry run passed: @fast-langgraph/native and ${platforms.length} platform package(s) at ${native}`,
  );
} finally {
  rmSync(copy, { recursive: true, force: true });
}
assert.equal(readdirSync(join(root, ".changeset")).join(), changesetsBefore, "the changesets are still pending");

/** What `pnpm build` made that the packages publish: each package's dist and the addon's binary. */
function buildOutputs() {
  const dists = readdirSync(join(root, "packages")).map((name) => `packages/${name}/dist`);
  const binaries = readdirSync(join(root, "crates/node")).filter((file) => file.endsWith(".node"));
  const outputs = [...dists, ...binaries.map((file) => `crates/node/${file}`)];
  for (const output of outputs) assert.ok(existsSync(join(root, output)), `${output} is missing: run pnpm build first`);
  assert.ok(binaries.length > 0, "crates/node has no .node binary: run pnpm build first");
  return outputs;
}
