export { isStockSerializer, parsePlainJson, plainJsonText, stringifyPlainJson } from "./plain-json.js";
export { parseWithMessages } from "./message-revive.js";
export { dumpOwned } from "./dump-owned.js";
