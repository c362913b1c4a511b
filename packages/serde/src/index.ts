export { isStockSerializer, parsePlainJson, plainJsonText, stringifyPlainJson } from "./plain-json.js";
