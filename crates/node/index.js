"use strict";

// binding.js is napi-rs's generated loader. It loads this platform's binary from a local build
// (fast-langgraph-native.<platform>.node beside this file) or from the platform package
// @fast-langgraph/native-<platform>, an optional dependency. When neither loads, its error blames an
// npm bug; this one says which package to install, or how to build from source.

const { FastLangGraphError } = require("./errors.js");

try {
  require("./binding.js");
} catch (err) {
  throw nativeMissing(err);
}

// A literal re-export, which Node's ESM named-export detection (cjs-module-lexer) follows.
module.exports = require("./binding.js");

function nativeMissing(cause) {
  const platform = platformName();
  const wanted = `@fast-langgraph/native-${platform}`;
  const published = Object.keys(require("./package.json").optionalDependencies ?? {});
  const fallback =
    "build the addon from source with cargo and set NAPI_RS_NATIVE_LIBRARY_PATH to the .node file " +
    '(see "Building from source" in the fast-langgraph-js README)';
  let message;
  if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) {
    message = `NAPI_RS_NATIVE_LIBRARY_PATH=${process.env.NAPI_RS_NATIVE_LIBRARY_PATH} could not be loaded as @fast-langgraph/native's binary for ${platform}; ${fallback}.`;
  } else if (published.includes(wanted)) {
    message =
      `@fast-langgraph/native has no binary for ${platform}: install ${wanted} (an optional dependency, ` +
      `left out by \`--omit=optional\` or by a lockfile made on another platform), or ${fallback}.`;
  } else {
    message =
      `@fast-langgraph/native has no prebuilt binary for ${platform} (no package ${wanted} is published; ` +
      `there are: ${published.join(", ")}): ${fallback}.`;
  }
  return new FastLangGraphError("FLG_NATIVE_MISSING", message, { cause });
}

/** napi-rs's name for this platform, as in `@fast-langgraph/native-linux-x64-gnu`. */
function platformName() {
  const { platform, arch } = process;
  if (platform === "win32") return `win32-${arch}-msvc`;
  if (platform !== "linux") return `${platform}-${arch}`;
  process.report.excludeNetwork = true;
  const libc = process.report.getReport().header.glibcVersionRuntime ? "gnu" : "musl";
  return `linux-${arch}-${libc}${arch === "arm" ? "eabihf" : ""}`;
}
