/**
 * The research assistant: a planner splits the question into sub-questions, one research task per
 * sub-question runs in parallel (`Send`), each searching and summarizing; a writer drafts the report,
 * a human reviews it (`interrupt`) and either asks for a revision or approves, and an editor
 * finalizes. The graph is built from the reducers it is given, so the same graph runs on state-rust's
 * reducers and on the official ones.
 */
import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { Annotation, END, interrupt, MessagesAnnotation, Send, START, StateGraph } from "@langchain/langgraph";

import type { FakeResearchModel, Role, SearchResult, searchTool } from "./fake.js";

export interface Finding {
  subQuestion: string;
  summary: string;
  results: SearchResult[];
}

export interface Reducers {
  messages: typeof MessagesAnnotation.spec.messages;
  append: (left: Finding[], right: Finding[]) => Finding[];
  union: (left: Set<string>, right: Iterable<string>) => Set<string>;
}

/** What the human reviewer answers to `interrupt`. */
export type Verdict = { approved: true } | { approved: false; feedback: string };

/** A model call for a role and a prompt, answered with the reply's text; the LLM cache wraps it. */
export type Ask = (role: Role, prompt: string) => Promise<string>;

const SYSTEM: Record<Role, string> = {
  planner: "You are the planner. Split the question into sub-questions, one per line.",
  reader: "You are the reader. Summarize the search results for the sub-question, citing them by number.",
  writer: "You are the writer. Answer the question from the findings, and follow the reviewer's feedback.",
  editor: "You are the editor. Turn the approved draft into the final answer, with its sources.",
};

/** The uncached model call behind `Ask`. */
export function askModel(model: FakeResearchModel): Ask {
  return async (role, prompt) => {
    const reply = await model.invoke([new SystemMessage(SYSTEM[role]), new HumanMessage(prompt)]);
    return String(reply.content);
  };
}

export function stateAnnotation(reducers: Reducers) {
  return Annotation.Root({
    messages: reducers.messages,
    question: Annotation<string>,
    subQuestions: Annotation<string[]>,
    findings: Annotation<Finding[]>({ reducer: reducers.append, default: () => [] }),
    sources: Annotation<Set<string>>({ reducer: reducers.union, default: () => new Set() }),
    draft: Annotation<string>,
    feedback: Annotation<string | undefined>,
    approved: Annotation<boolean>,
    answer: Annotation<string>,
  });
}

export type ResearchState = ReturnType<typeof stateAnnotation>["State"];

export function researchGraph(reducers: Reducers, ask: Ask, search: ReturnType<typeof searchTool>) {
  const State = stateAnnotation(reducers);
  return new StateGraph(State)
    .addNode("planner", async (s) => {
      const plan = await ask("planner", `Question: ${s.question}`);
      return { subQuestions: plan.split("\n"), messages: [new AIMessage({ name: "planner", content: plan })] };
    })
    .addNode(
      "research",
      async ({ subQuestion }: { subQuestion: string }) => {
        const results = await search.invoke({ query: subQuestion });
        const listed = results.map((r, i) => `[${i + 1}] ${r.url} — ${r.snippet}`).join("\n");
        const summary = await ask("reader", `Sub-question: ${subQuestion}\nResults:\n${listed}`);
        return { findings: [{ subQuestion, summary, results }], sources: results.map((r) => r.url) };
      },
      // A sub-question finds the same sources whatever the question it came from: keyed by it alone.
      { cachePolicy: { keyFunc: ([task]: unknown[]) => (task as { subQuestion: string }).subQuestion, ttl: 3600 } },
    )
    .addNode("writer", async (s) => {
      const findings = s.findings.map((f) => `- ${f.summary}`).join("\n");
      const feedback = s.feedback ? `\nFeedback: ${s.feedback}` : "";
      const draft = await ask("writer", `Question: ${s.question}\nFindings:\n${findings}${feedback}`);
      return { draft, messages: [new AIMessage({ name: "writer", content: draft })] };
    })
    .addNode("review", async (s) => {
      const verdict = interrupt<{ draft: string; sources: number }, Verdict>({
        draft: s.draft,
        sources: s.sources.size,
      });
      const note = verdict.approved ? "Approved." : verdict.feedback;
      return {
        approved: verdict.approved,
        ...(verdict.approved ? {} : { feedback: verdict.feedback }),
        messages: [new HumanMessage({ name: "reviewer", content: note })],
      };
    })
    .addNode("finalize", async (s) => {
      const answer = await ask(
        "editor",
        `Question: ${s.question}\nDraft:\n${s.draft}\nSources:\n${[...s.sources].join("\n")}`,
      );
      return { answer, messages: [new AIMessage({ name: "editor", content: answer })] };
    })
    .addEdge(START, "planner")
    .addConditionalEdges("planner", (s) => s.subQuestions.map((q) => new Send("research", { subQuestion: q })), [
      "research",
    ])
    .addEdge("research", "writer")
    .addEdge("writer", "review")
    .addConditionalEdges("review", (s) => (s.approved ? "finalize" : "writer"), ["finalize", "writer"])
    .addEdge("finalize", END);
}
