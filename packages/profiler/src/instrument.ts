import { RunnablePassthrough } from "@langchain/core/runnables";

import { failure, taskSpan, type Span } from "./spans.js";

type Config = {
  metadata?: Record<string, unknown>;
  callbacks?: unknown;
  executionInfo?: { checkpointId?: string };
} & Record<string, unknown>;
interface Invocable {
  invoke(input: unknown, config?: Config): Promise<unknown>;
}
interface PregelLike extends Invocable {
  lg_is_pregel?: boolean;
  nodes: Record<string, { bound: Invocable }>;
  withConfig(config: Record<string, never>): PregelLike;
}

/** Where timed nodes record their spans, and the handler model calls are seen through. */
export interface NodeSink {
  spans: Span[];
  attempts: Map<string, number>;
  /** A config's callbacks with the handler added (never changing the ones given); unset if models are not watched. */
  withModels?: (callbacks: unknown) => unknown;
}

/**
 * A copy of the compiled graph (made by its own `withConfig`, so the caller's graph is untouched)
 * whose nodes, and the nodes of its subgraphs, time each call of their own code. This costs a
 * clock read per task; LangChain callbacks, the other way to see tasks, cost more than a plain
 * step does.
 */
export function instrumentGraph<G>(graph: G, sink: NodeSink): G {
  if (
    (graph as PregelLike | undefined)?.lg_is_pregel !== true ||
    typeof (graph as PregelLike).withConfig !== "function"
  ) {
    throw Object.assign(new TypeError("Profiler.wrap takes a compiled LangGraph graph (the result of compile())"), {
      code: "FLG_INVALID_ARGUMENT",
    });
  }
  const copy = (graph as PregelLike).withConfig({});
  copy.nodes = Object.fromEntries(
    Object.entries(copy.nodes).map(([name, node]) => {
      // START and other nodes with no code of their own: LangGraph checks for the passthrough itself.
      if (node.bound instanceof RunnablePassthrough) return [name, node];
      const bound = node.bound as PregelLike;
      const inner: Invocable = bound.lg_is_pregel === true ? instrumentGraph(bound, sink) : bound;
      // The node itself is inherited; only `bound` (the node's code) is this copy's own.
      return [name, Object.create(node, { bound: { value: timed(inner, name, sink), enumerable: true } })];
    }),
  );
  return copy as G;
}

/** `runnable`, with its `invoke` timed as one span of node `name`, and the model calls inside it seen. */
function timed(runnable: Invocable, name: string, sink: NodeSink): Invocable {
  const invoke = runnable.invoke;
  const { withModels } = sink;
  // A node made from a function (LangGraph's RunnableCallable) calls it with a config made for that
  // call alone, which is also the one model calls inside it find. The handler goes there, so that the
  // node's own run gets no callback manager: that would cost more than a plain step does.
  const func = (runnable as { func?: unknown }).func;
  const inFunc = withModels !== undefined && typeof func === "function" && "recurse" in runnable;
  const props: PropertyDescriptorMap = {
    invoke: {
      async value(this: Invocable, input: unknown, config: Config = {}) {
        const span = taskSpan(name, config.metadata ?? {}, sink.attempts, config.executionInfo?.checkpointId);
        try {
          const seen = inFunc || !withModels ? config : { ...config, callbacks: withModels(config.callbacks) };
          return await invoke.call(this, input, seen);
        } catch (err) {
          span.status = failure(err);
          throw err;
        } finally {
          span.end = performance.now();
          sink.spans.push(span);
        }
      },
    },
  };
  if (inFunc) {
    props.func = {
      value(this: unknown, input: unknown, config: Config) {
        config.callbacks = withModels(config.callbacks);
        return func.call(this, input, config);
      },
    };
  }
  return Object.create(runnable, props);
}
