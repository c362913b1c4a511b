/**
 * A deterministic stand-in for a chat model and a search API: no network, no API key. Answers are
 * derived from the input alone, and so are the pauses, which have the shape of the real thing (a
 * model's time to first token plus a time per output token, a search's round trip) scaled down about
 * twentyfold so that the demo stays short.
 */
import { setTimeout as sleep } from "node:timers/promises";

import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { DynamicStructuredTool } from "@langchain/core/tools";

export type Role = "planner" | "reader" | "writer" | "editor";

/** FNV-1a: a stable 32-bit hash, so that the same input always gets the same answer and pause. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: a small PRNG, seeded from the input, for the fake search's results. */
function seeded(text: string): () => number {
  let a = hash(text);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Counts what the fakes really did, so that cache hits show as work not done. */
export interface FakeCounters {
  modelCalls: number;
  searches: number;
  /** Milliseconds spent in fake pauses, summed over calls (they overlap when calls run in parallel). */
  sleptMs: number;
}

export function fakeCounters(): FakeCounters {
  return { modelCalls: 0, searches: 0, sleptMs: 0 };
}

async function pause(ms: number, latency: boolean, counters: FakeCounters): Promise<void> {
  if (!latency) return;
  counters.sleptMs += ms;
  await sleep(ms);
}

const tokens = (text: string) => Math.ceil(text.length / 4);

/** The role a prompt asks for, from its system message ("You are the planner..."). */
function roleOf(messages: BaseMessage[]): Role {
  const role = /You are the (planner|reader|writer|editor)/.exec(String(messages[0]?.content))?.[1];
  if (!role) throw new Error("FakeResearchModel: the first message must say which role it plays");
  return role as Role;
}

/** The value of a "Name: value" line of the prompt. */
function field(prompt: string, name: string): string {
  return new RegExp(`^${name}: (.*)$`, "m").exec(prompt)?.[1] ?? "";
}

/** "Compare X and Y" → ["X", "Y"]: the topics a question is about. */
function topicsOf(question: string): string[] {
  return question
    .replace(/^(compare|how do|how does|what are|what is)\s+/i, "")
    .replace(/[?.]$/, "")
    .split(/\s+(?:and|vs\.?)\s+|,\s*/)
    .map((t) => t.trim())
    .filter(Boolean);
}

function answer(role: Role, prompt: string): string {
  switch (role) {
    case "planner":
      return topicsOf(field(prompt, "Question"))
        .flatMap((t) => [`What is ${t}?`, `What are the trade-offs of ${t}?`])
        .join("\n");
    case "reader": {
      const results = prompt.split("\n").filter((l) => l.startsWith("["));
      const points = results.map((r) => `${r.slice(r.indexOf(" — ") + 3).split(". ")[0]} ${r.slice(0, 3)}`);
      return `${field(prompt, "Sub-question")} ${points.join("; ")}.`;
    }
    case "writer": {
      const findings = prompt.split("\n").filter((l) => l.startsWith("- "));
      const feedback = field(prompt, "Feedback");
      return [
        `# ${field(prompt, "Question")}`,
        ...findings.map((f) => f.slice(2)),
        ...(feedback ? [`Revised for the reviewer ("${feedback}"): every claim now names its source.`] : []),
      ].join("\n\n");
    }
    case "editor": {
      const [draft, sources = ""] = prompt.slice(prompt.indexOf("Draft:\n") + 7).split("\nSources:\n");
      const list = sources.split("\n").map((url, i) => `[${i + 1}] ${url}`);
      return `${draft.replace(/^# .*\n\n/, "")}\n\nSources:\n${list.join("\n")}`;
    }
  }
}

/**
 * A real LangChain chat model (callbacks, tracing and the profiler see it) whose answers are derived
 * from its prompt and which reports `usage_metadata` tokens.
 */
export class FakeResearchModel extends BaseChatModel {
  readonly #latency: boolean;
  readonly #counters: FakeCounters;

  constructor(options: { latency: boolean; counters: FakeCounters }) {
    super({});
    this.#latency = options.latency;
    this.#counters = options.counters;
  }

  _llmType(): string {
    return "fake-research-model";
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const prompt = messages.map((m) => String(m.content)).join("\n");
    const text = answer(roleOf(messages), String(messages.at(-1)?.content));
    const [input, output] = [tokens(prompt), tokens(text)];
    this.#counters.modelCalls++;
    // Time to first token, then a time per output token.
    await pause(40 + 0.25 * output, this.#latency, this.#counters);
    const usage_metadata = { input_tokens: input, output_tokens: output, total_tokens: input + output };
    return { generations: [{ text, message: new AIMessage({ content: text, usage_metadata }) }] };
  }
}

const CLAIMS = [
  "{t} trades {a} for {b}.",
  "In practice, {t} is chosen when {a} matters more than {b}.",
  "Measurements show {t} improving {a} by {n}% under mixed workloads.",
  "A known pitfall of {t} is its effect on {b}.",
  "{t} was designed to reduce {a}.",
  "Operators tune {t} by watching {a} and {b} together.",
];
const QUALITIES = [
  "write latency",
  "read throughput",
  "crash recovery time",
  "storage overhead",
  "lock contention",
  "tail latency",
  "implementation complexity",
];

export interface SearchResult {
  url: string;
  snippet: string;
}

/** A fake web search as a LangChain tool: four results about the query's topic, after a round trip. */
export function searchTool(options: { latency: boolean; counters: FakeCounters }) {
  return new DynamicStructuredTool({
    name: "search",
    description: "Searches the web and returns the four best results for a query.",
    schema: { type: "object", properties: { query: { type: "string" } }, required: ["query"] } as const,
    func: async ({ query }: { query: string }): Promise<SearchResult[]> => {
      options.counters.searches++;
      const next = seeded(query);
      const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)];
      await pause(80 + Math.floor(next() * 70), options.latency, options.counters);
      const topic = query.replace(/^What (is|are the trade-offs of) /, "").replace(/\?$/, "");
      const slug = topic.toLowerCase().replace(/[^a-z0-9]+/g, "-");
      return Array.from({ length: 4 }, () => {
        const claims = Array.from({ length: 3 }, () =>
          pick(CLAIMS)
            .replace("{t}", topic)
            .replace("{a}", pick(QUALITIES))
            .replace("{b}", pick(QUALITIES))
            .replace("{n}", String(5 + Math.floor(next() * 60))),
        );
        // Sources are per topic, so sub-questions on one topic share some of them.
        return { url: `https://kb.example.org/${slug}/${1 + Math.floor(next() * 6)}`, snippet: claims.join(" ") };
      });
    },
  });
}
