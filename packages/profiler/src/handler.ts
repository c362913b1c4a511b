import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { LLMResult } from "@langchain/core/outputs";

import { failure, taskSpan, type Span } from "./spans.js";

/**
 * Records a span for each task LangGraph runs (a node, in the graph or a subgraph) and each model
 * call, from the callbacks LangChain makes. It is awaited, so each time is taken when the event
 * happens, not when a background queue gets to it. With `tasks: false` it sees model calls only
 * (`Profiler.wrap` times tasks itself, for less).
 */
export class ProfilerHandler extends BaseCallbackHandler {
  name = "fast-langgraph-profiler";
  readonly spans: Span[];
  readonly #open = new Map<string, Span>();
  readonly #attempts = new Map<string, number>();

  constructor(options: { spans?: Span[]; tasks?: boolean } = {}) {
    super({ _awaitHandler: true, ignoreChain: options.tasks === false });
    this.spans = options.spans ?? [];
  }

  // LangChain calls this with (chain, inputs, runId, parentRunId, tags, metadata, runType, runName).
  override handleChainStart(
    _chain: unknown,
    _inputs: unknown,
    runId: string,
    _parentRunId?: unknown,
    tags?: string[],
    metadata?: Record<string, unknown>,
    _runType?: unknown,
    runName?: unknown,
  ): void {
    const node = metadata?.langgraph_node;
    // A task's own run: named after its node, tagged with its step. Runs inside a node share its
    // metadata but not its name and tag.
    if (typeof node !== "string" || node !== runName || !tags?.some((t) => t.startsWith("graph:step:"))) return;
    if (node === "__start__") return;
    this.#open.set(runId, taskSpan(node, metadata!, this.#attempts));
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.#close(runId, "ok");
  }

  override handleChainError(err: unknown, runId: string): void {
    this.#close(runId, failure(err));
  }

  override handleLLMStart(llm: { id?: string[] }, _prompts: unknown, runId: string, ...rest: unknown[]): void {
    this.#startLlm(llm, runId, rest[4]);
  }

  override handleChatModelStart(llm: { id?: string[] }, _messages: unknown, runId: string, ...rest: unknown[]): void {
    this.#startLlm(llm, runId, rest[4]);
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const span = this.#open.get(runId);
    if (span) span.tokens = tokensOf(output);
    this.#close(runId, "ok");
  }

  override handleLLMError(_err: unknown, runId: string): void {
    this.#close(runId, "error");
  }

  #startLlm(llm: { id?: string[] }, runId: string, runName: unknown): void {
    const name = typeof runName === "string" ? runName : (llm.id?.at(-1) ?? "model");
    this.#open.set(runId, { kind: "llm", name, start: performance.now(), end: 0, status: "ok" });
  }

  #close(runId: string, status: Span["status"]): void {
    const span = this.#open.get(runId);
    if (!span) return;
    this.#open.delete(runId);
    span.end = performance.now();
    span.status = status;
    this.spans.push(span);
  }
}

/** Token usage as models report it: `llmOutput.tokenUsage`, or the messages' `usage_metadata`. */
function tokensOf(output: LLMResult): Span["tokens"] {
  const usage = output.llmOutput?.tokenUsage as
    | { promptTokens?: number; completionTokens?: number; totalTokens?: number }
    | undefined;
  if (usage?.totalTokens !== undefined) {
    return { input: usage.promptTokens ?? 0, output: usage.completionTokens ?? 0, total: usage.totalTokens };
  }
  let found: Span["tokens"];
  for (const generation of output.generations.flat()) {
    const meta = (
      generation as {
        message?: { usage_metadata?: { input_tokens: number; output_tokens: number; total_tokens: number } };
      }
    ).message?.usage_metadata;
    if (!meta) continue;
    found ??= { input: 0, output: 0, total: 0 };
    found.input += meta.input_tokens;
    found.output += meta.output_tokens;
    found.total += meta.total_tokens;
  }
  return found;
}
