/**
 * RustCache's memory bound, in a process of its own so that nothing measured before it weighs on its
 * resident memory.
 *
 *   pnpm --filter @fast-langgraph/cache-rust bench      (or `pnpm bench` at the root)
 */
import { setTimeout as sleep } from "node:timers/promises";

// The build users run, not the source through tsx (which adds a naming helper call to each closure).
import { RustCache } from "../dist/index.js";

/**
 * Resident memory after writing `total` bytes of distinct 100 KB entries into a cache bounded to
 * `bound` bytes, over the resident memory before (both after a full garbage collection).
 */
async function memoryBound(bound: number, total: number) {
  const gc = (globalThis as { gc?: () => void }).gc;
  const value = "x".repeat(100 * 1024);
  const cache = new RustCache({ maxBytes: bound });
  gc?.();
  const before = process.memoryUsage().rss;
  for (let written = 0, i = 0; written < total; written += value.length, i++) {
    // A distinct value each time, so nothing is shared between entries.
    await cache.set([{ key: [["bench"], `k${i}`], value: `${i}${value}` }]);
  }
  // Let the collector finish and give back what it freed before reading the resident size.
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(100);
  }
  const growth = process.memoryUsage().rss - before;
  return { growth, stats: cache.stats() };
}

const bound = 10 * 1024 * 1024;
const { growth, stats } = await memoryBound(bound, 1024 * 1024 * 1024);
console.log(`## Memory bound\n`);
console.log(
  `maxBytes 10 MB, 1 GB of distinct 100 KB entries written: resident memory grew ${(growth / 1048576).toFixed(1)} MB ` +
    `(${(growth / bound).toFixed(2)}x the bound); ${stats.entries} entries (${(stats.bytes / 1048576).toFixed(1)} MB) kept, ` +
    `${stats.evictions} evicted.`,
);
