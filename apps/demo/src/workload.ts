/**
 * The demo's workload: several conversations at once, a restart in the middle (every store closed,
 * new ones opened on the same files), one conversation resumed from the interrupt it was waiting at,
 * and conversations after the restart that ask again what was asked before it.
 */
import { statSync } from "node:fs";

import { HumanMessage } from "@langchain/core/messages";
import { Command } from "@langchain/langgraph";
import { Profiler } from "@fast-langgraph/profiler";

import { FakeResearchModel, fakeCounters, searchTool, type FakeCounters } from "./fake.js";
import { askModel, researchGraph, type Ask, type ResearchState, type Verdict } from "./graph.js";
import { Progress } from "./progress.js";
import { checkpointsFile, type Side, type Stores } from "./sides.js";

export interface Conversation {
  thread: string;
  question: string;
  /** The reviewer's answers, one per interrupt, in order. */
  reviews: Verdict[];
  /** Run before the restart, after it, or started before and resumed after it. */
  when: "before" | "across" | "after";
}

const approve: Verdict = { approved: true };
const revise: Verdict = { approved: false, feedback: "Cite a source for every claim." };

export const CONVERSATIONS: Conversation[] = [
  {
    thread: "wal-vs-rollback",
    question: "Compare SQLite WAL mode and rollback journals",
    reviews: [revise, approve],
    when: "before",
  },
  { thread: "lsm-vs-btree", question: "Compare LSM trees and B-trees", reviews: [approve], when: "before" },
  { thread: "mvcc-vs-2pl", question: "Compare MVCC and two-phase locking", reviews: [revise, approve], when: "before" },
  { thread: "raft-vs-paxos", question: "Compare Raft and Paxos", reviews: [approve], when: "across" },
  // Asked again after the restart: answered from the cache files, or (official side) from scratch.
  {
    thread: "wal-vs-rollback-again",
    question: "Compare SQLite WAL mode and rollback journals",
    reviews: [approve],
    when: "after",
  },
  {
    thread: "wal-vs-lsm",
    question: "Compare SQLite WAL mode and LSM trees",
    reviews: [revise, approve],
    when: "after",
  },
  { thread: "raft-vs-2pc", question: "Compare Raft and two-phase commit", reviews: [approve], when: "after" },
];

/** How many graph runs (a start, or a resume) the workload makes. */
export const TURNS = CONVERSATIONS.reduce((n, c) => n + 1 + c.reviews.length, 0);

/** What one phase (before or after the restart) did. */
export interface Work extends FakeCounters {
  /** Model calls asked of the LLM cache; those it did not answer are `modelCalls`. */
  asks: number;
  researchTasks: number;
  /** Research tasks answered by the node cache. */
  researchFromCache: number;
}

/** The nodes that ran ("research (cache)" for a node cache hit), interrupts and the reviewer's answers, in order. */
export type Path = string[];

/** "research ×4 (3 from the node cache)" for a run of research tasks; every other step as it is. */
export function describe(path: Path): string {
  const out: string[] = [];
  for (let i = 0; i < path.length; ) {
    let j = i;
    while (path[j]?.startsWith("research")) j++;
    if (j === i) {
      out.push(path[i++]);
      continue;
    }
    const hits = path.slice(i, j).filter((p) => p !== "research").length;
    out.push(`research ×${j - i}${hits ? ` (${hits} from the node cache)` : ""}`);
    i = j;
  }
  return out.join(" → ");
}

export interface ThreadResult {
  thread: string;
  before: Path;
  after: Path;
  state: ResearchState;
}

export interface RunResult {
  side: Side;
  wallMs: number;
  /** Process CPU time (user + system, every thread), which fake pauses do not count in. */
  cpuMs: number;
  before: Work;
  after: Work;
  threads: ThreadResult[];
  /** The conversation left at its interrupt: where it stopped, where the new saver found it, what ran next. */
  resumed: { thread: string; stoppedAt: string; foundAt: string; next: string[]; ranAfter: string[] };
  /** The checkpoint database's size on disk, after close. */
  dbBytes: number;
}

export interface RunOptions {
  side: Side;
  dir: string;
  /** Fake pauses on (the demo) or off (to time everything but them). */
  latency: boolean;
  profiler?: Profiler;
  progress?: Progress;
}

function newWork(): Work {
  return { ...fakeCounters(), asks: 0, researchTasks: 0, researchFromCache: 0 };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export async function runWorkload({ side, dir, latency, profiler, progress }: RunOptions): Promise<RunResult> {
  const work = newWork();
  const search = searchTool({ latency, counters: work });
  const call = askModel(new FakeResearchModel({ latency, counters: work }));
  const counted: (ask: Ask) => Ask = (ask) => (role, prompt) => {
    work.asks++;
    return ask(role, prompt);
  };
  const compile = (stores: Stores) => {
    const graph = researchGraph(side.reducers, counted(stores.ask), search).compile({
      checkpointer: profiler ? profiler.checkpointer(stores.saver) : stores.saver,
      cache: profiler ? profiler.cache(stores.cache) : stores.cache,
    });
    return profiler ? profiler.wrap(graph) : graph;
  };
  type Graph = ReturnType<typeof compile>;
  const paths = new Map(CONVERSATIONS.map((c) => [c.thread, { before: [] as Path, after: [] as Path }]));
  let phase: "before" | "after" = "before";
  const config = (thread: string) => ({ configurable: { thread_id: thread } });

  /** One graph run, to its end or its next interrupt; what ran is added to the thread's path. */
  const turn = async (graph: Graph, c: Conversation, input: Parameters<Graph["stream"]>[0]) => {
    const ran: Path = [];
    for await (const chunk of await graph.stream(input, { ...config(c.thread), streamMode: "updates" })) {
      const fromCache = (chunk as { __metadata__?: { cached?: boolean } }).__metadata__?.cached === true;
      for (const node of Object.keys(chunk)) {
        if (node === "__metadata__") continue;
        if (node === "research") {
          work.researchTasks++;
          if (fromCache) work.researchFromCache++;
        }
        ran.push(node === "__interrupt__" ? "interrupt" : fromCache ? `${node} (cache)` : node);
      }
    }
    paths.get(c.thread)![phase].push(...ran);
    progress?.step(`${c.thread}: ${describe(ran)}`);
    return ran;
  };
  const start = (graph: Graph, c: Conversation) =>
    turn(graph, c, { question: c.question, messages: [new HumanMessage(c.question)] });
  const answer = async (graph: Graph, c: Conversation, verdict: Verdict) => {
    paths.get(c.thread)![phase].push(verdict.approved ? "reviewer: approve" : `reviewer: "${verdict.feedback}"`);
    return turn(graph, c, new Command({ resume: verdict }));
  };
  const converse = async (graph: Graph, c: Conversation) => {
    await start(graph, c);
    for (const verdict of c.reviews) await answer(graph, c, verdict);
  };
  const checkpointId = async (graph: Graph, thread: string) => {
    const snapshot = await graph.getState(config(thread));
    return { id: String(snapshot.config.configurable?.checkpoint_id), next: [...snapshot.next] };
  };

  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  let stores = side.open(dir, call);
  let graph = compile(stores);
  // The conversation that spans the restart only starts: it is left waiting for its review.
  await Promise.all(
    CONVERSATIONS.filter((c) => c.when !== "after").map((c) =>
      c.when === "across" ? start(graph, c) : converse(graph, c),
    ),
  );
  const across = CONVERSATIONS.find((c) => c.when === "across")!;
  const stoppedAt = (await checkpointId(graph, across.thread)).id;
  const before = { ...work };

  // The restart: every store closed, new ones opened on the same files.
  await stores.close();
  stores = side.open(dir, call);
  graph = compile(stores);
  // The fakes count into `work`: reset in place for the second phase.
  Object.assign(work, newWork());
  phase = "after";

  const found = await checkpointId(graph, across.thread);
  const resume = async () => {
    let ran: Path = [];
    for (const verdict of across.reviews) ran = ran.concat(await answer(graph, across, verdict));
    return ran;
  };
  const [ranAfter] = await Promise.all([
    resume(),
    ...CONVERSATIONS.filter((c) => c.when === "after").map((c) => converse(graph, c)),
  ]);
  const threads = await Promise.all(
    CONVERSATIONS.map(async (c) => ({
      thread: c.thread,
      ...paths.get(c.thread)!,
      state: (await graph.getState(config(c.thread))).values as ResearchState,
    })),
  );
  await stores.close();
  const cpu = process.cpuUsage(cpu0);
  return {
    side,
    wallMs: performance.now() - wall0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    before,
    after: { ...work },
    threads,
    resumed: { thread: across.thread, stoppedAt, foundAt: found.id, next: found.next, ranAfter },
    dbBytes: fileSize(checkpointsFile(dir)) + fileSize(`${checkpointsFile(dir)}-wal`),
  };
}

/** The workload under a profiler of its own, with fake pauses on and a progress bar. */
export async function profiledRun(side: Side, dir: string, progress: boolean) {
  const profiler = new Profiler();
  const bar = progress ? new Progress(`${side.name}: conversation turns`, TURNS) : undefined;
  try {
    return { run: await runWorkload({ side, dir, latency: true, profiler, progress: bar }), profiler };
  } finally {
    bar?.end();
  }
}
