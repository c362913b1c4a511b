import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { chromium } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";

import { Profiler } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "flg-profiler-html-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// CI keeps what lands here (`artifacts/` at the repository root).
const artifacts = fileURLToPath(new URL("../../../artifacts", import.meta.url));

// Debian's chromium, as `.ci/run` installs it; CHROMIUM_PATH for another.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const State = Annotation.Root({ n: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }) });

/** A graph whose `sluggish` node is deliberately the slowest, beside two quick ones. */
async function profiledRun(): Promise<Profiler> {
  const profiler = new Profiler();
  const graph = new StateGraph(State)
    .addNode("quick", async () => ({ n: 1 }))
    .addNode("sluggish", async () => {
      await sleep(40);
      return { n: 1 };
    })
    .addNode("tidy", async () => ({ n: 1 }))
    .addEdge(START, "quick")
    .addEdge("quick", "sluggish")
    .addEdge("sluggish", "tidy")
    .compile();
  const wrapped = profiler.wrap(graph);
  for (let i = 0; i < 3; i++) await wrapped.invoke({ n: 0 });
  return profiler;
}

describe("the reports of a graph with a deliberately slow node", () => {
  it("all put that node at the top: text, trace, recommendations and the HTML page in Chromium", async () => {
    const profiler = await profiledRun();
    expect(profiler.report().split("\n")[2]).toMatch(/^sluggish\s+3\s/);
    const trace = profiler.toChromeTrace().traceEvents.filter((e) => e.ph === "X");
    expect(trace.sort((a, b) => Number(b.dur) - Number(a.dur))[0].name).toBe("sluggish");
    expect(profiler.recommendations()[0]).toMatch(/^Node "sluggish" took \d+% of the time spent in nodes/);

    const page = join(dir, "profile.html");
    await profiler.writeHtml(page);
    // Self-contained: nothing is loaded from anywhere.
    expect(readFileSync(page, "utf8")).not.toMatch(/<script|<link|https?:\/\//);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const tab = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await tab.goto(pathToFileURL(page).href);
      expect(await tab.title()).toBe("LangGraph run profile");
      const lanes = await tab.locator("#timeline text.lane").allTextContents();
      expect(lanes).toEqual(expect.arrayContaining(["quick", "sluggish", "tidy"]));
      // Nine node runs drawn on the timeline, and the chart's first bar is the slow node's.
      expect(await tab.locator("#timeline rect.node").count()).toBe(9);
      expect(await tab.locator("#where text.lane").first().textContent()).toBe("sluggish");
      // Supersteps, slowest first: three runs of three steps each, the slow node's steps at the top.
      expect(await tab.locator("#supersteps text.step").count()).toBe(9);
      expect(await tab.locator("#supersteps text.step").first().textContent()).toMatch(
        /^step \d+: \d+\.\d\d ms, 1 task$/,
      );
      expect(await tab.locator("#supersteps text.lane").first().textContent()).toBe("sluggish");
      const box = await tab.locator("#timeline").boundingBox();
      expect(box!.width).toBeGreaterThan(500);
      expect(await tab.locator("#recommendations li").first().textContent()).toContain('Node "sluggish"');
      mkdirSync(artifacts, { recursive: true });
      await tab.screenshot({ path: join(artifacts, "profiler-report.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
