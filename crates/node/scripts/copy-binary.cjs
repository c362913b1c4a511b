"use strict";

// The prepack step of each platform package in npm/<platform>: it takes the binary that
// `napi build --platform` left in crates/node, so the published package holds the build's own file
// and no binary is committed.

const fs = require("node:fs");
const path = require("node:path");

const binary = require(path.resolve("package.json")).main;
const built = path.join(__dirname, "..", binary);
if (!fs.existsSync(built)) {
  console.error(`${built} is missing: build the addon first (pnpm build:native).`);
  process.exit(1);
}
fs.copyFileSync(built, binary);
