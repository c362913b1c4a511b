export { MessagesAnnotation, MessagesValue } from "./annotation.js";
export { messagesDeltaReducer } from "./messages-delta-reducer.js";
export { messagesReducer } from "./messages-reducer.js";
export { appendReducer, deepMergeReducer, setUnionReducer, sumReducer } from "./reducers.js";
export {
  applyWrites,
  deepMerge,
  mergeState,
  stateDiff,
  statesEqual,
  type ApplyWritesOptions,
  type StateDiff,
} from "./state.js";
export { deepEqual } from "./values.js";
