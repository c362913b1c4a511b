import type { ProfileJSON } from "./profiler.js";
import { summaryColumns, type Span, type Summary } from "./spans.js";

const SLOWEST_STEPS = 10;

const COLORS: Record<Span["kind"], string> = {
  node: "#4f7cff",
  llm: "#b05cf0",
  checkpointer: "#f0a03c",
  cache: "#3cb878",
};

/**
 * One self-contained page (inline SVG and CSS, no script, no network): a timeline of the run, a lane
 * per node task namespace and per kind of call, and a chart of where the time went.
 */
export function renderHtml(profile: ProfileJSON, recommendations: string[]): string {
  const { spans } = profile;
  const origin = spans.length ? Math.min(...spans.map((s) => s.start)) : 0;
  const endAll = spans.length ? Math.max(...spans.map((s) => s.end)) : 1;
  const totalMs = Math.max(endAll - origin, 1e-3);
  const lanes = new Map<string, Span[]>();
  for (const s of spans) {
    const lane = s.kind === "node" ? `${s.name}` : s.kind;
    lanes.set(lane, [...(lanes.get(lane) ?? []), s]);
  }
  const width = 1000;
  const laneHeight = 22;
  const labelWidth = 160;
  const x = (t: number) => labelWidth + ((t - origin) / totalMs) * (width - labelWidth);
  const rows = [...lanes].map(([lane, laneSpans], i) => {
    const y = i * laneHeight;
    const bars = laneSpans
      .map((s) => {
        const w = Math.max(x(s.end) - x(s.start), 1);
        const title = `${s.name} (${s.kind}) ${(s.end - s.start).toFixed(2)} ms${s.step !== undefined ? `, step ${s.step}` : ""}, ${s.status}`;
        return `<rect class="span ${s.kind} ${s.status}" x="${x(s.start).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${laneHeight - 6}" fill="${COLORS[s.kind]}"><title>${escape(title)}</title></rect>`;
      })
      .join("");
    return `<text x="4" y="${y + 15}" class="lane">${escape(lane)}</text>${bars}`;
  });
  const timeline = `<svg id="timeline" width="${width}" height="${lanes.size * laneHeight + 24}" viewBox="0 0 ${width} ${lanes.size * laneHeight + 24}">${rows.join("")}<text x="${labelWidth}" y="${lanes.size * laneHeight + 18}" class="axis">0 ms</text><text x="${width - 4}" y="${lanes.size * laneHeight + 18}" class="axis" text-anchor="end">${totalMs.toFixed(1)} ms</text></svg>`;

  const where: [string, Span["kind"], Summary][] = [
    ...profile.nodes.map((s) => [s.name, "node", s] as [string, Span["kind"], Summary]),
    ...profile.llm.map((s) => [`model: ${s.name}`, "llm", s] as [string, Span["kind"], Summary]),
    ...profile.checkpointer.map(
      (s) => [`checkpointer.${s.name}`, "checkpointer", s] as [string, Span["kind"], Summary],
    ),
    ...profile.cache.map((s) => [`cache.${s.name}`, "cache", s] as [string, Span["kind"], Summary]),
  ].sort((a, b) => b[2].totalMs - a[2].totalMs) as [string, Span["kind"], Summary][];
  const most = Math.max(...where.map(([, , s]) => s.totalMs), 1e-3);
  const chart = `<svg id="where" width="${width}" height="${where.length * laneHeight}">${where
    .map(([label, kind, s], i) => {
      const w = (s.totalMs / most) * (width - 360);
      return `<text x="4" y="${i * laneHeight + 15}" class="lane">${escape(label)}</text><rect x="240" y="${i * laneHeight + 3}" width="${w.toFixed(1)}" height="${laneHeight - 6}" fill="${COLORS[kind]}"></rect><text x="${(246 + w).toFixed(1)}" y="${i * laneHeight + 15}" class="axis">${s.totalMs.toFixed(1)} ms, ${s.count}×</text>`;
    })
    .join("")}</svg>`;

  const steps = [...profile.steps].sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, SLOWEST_STEPS);
  let y = 0;
  const stepRows = steps.map((step) => {
    const ms = Math.max(step.end - step.start, 1e-6);
    const sx = (t: number) => labelWidth + ((t - step.start) / ms) * (width - labelWidth - 90);
    const overlap = step.overlapMs > 0 ? `, ${step.overlapMs.toFixed(2)} ms overlapping` : "";
    const head = `<text x="4" y="${y + 15}" class="step">step ${step.step}: ${ms.toFixed(2)} ms, ${step.tasks.length} task${step.tasks.length > 1 ? "s" : ""}${overlap}</text>`;
    y += laneHeight;
    const tasks = step.tasks.map((t) => {
      const row = `<text x="14" y="${y + 15}" class="lane">${escape(t.name)}</text><rect class="span node ${t.status}" x="${sx(t.start).toFixed(1)}" y="${y + 3}" width="${Math.max(sx(t.end) - sx(t.start), 1).toFixed(1)}" height="${laneHeight - 6}" fill="${COLORS.node}"></rect><text x="${(sx(t.end) + 6).toFixed(1)}" y="${y + 15}" class="axis">${(t.end - t.start).toFixed(2)} ms</text>`;
      y += laneHeight;
      return row;
    });
    return head + tasks.join("");
  });
  const superstepChart = steps.length
    ? `<p>The ${steps.length} slowest of ${profile.steps.length} supersteps, each task placed within its step.</p><svg id="supersteps" width="${width}" height="${y}">${stepRows.join("")}</svg>`
    : `<p id="supersteps">No supersteps recorded.</p>`;

  const columns = summaryColumns(where.map(([, , s]) => s));
  const tableRows = where
    .map(
      ([label, , s]) =>
        `<tr><td>${escape(label)}</td>${columns
          .cells(s)
          .map((cell) => `<td>${cell}</td>`)
          .join("")}</tr>`,
    )
    .join("");
  const advice = recommendations.length
    ? `<ul id="recommendations">${recommendations.map((r) => `<li>${escape(r)}</li>`).join("")}</ul>`
    : `<p id="recommendations">Nothing stands out.</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LangGraph run profile</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
svg text.lane{font-size:12px;fill:#222}svg text.step{font-size:12px;font-weight:600;fill:#222}svg text.axis{font-size:11px;fill:#666}
rect.error{stroke:#d00;stroke-width:2}rect.interrupt{stroke:#222;stroke-dasharray:3 2}
table{border-collapse:collapse}td,th{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
</style></head><body>
<h1>LangGraph run profile</h1>
<p>${spans.length} spans over ${totalMs.toFixed(1)} ms.</p>
<p class="legend">${(Object.keys(COLORS) as Span["kind"][]).map((k) => `<span><i style="background:${COLORS[k]}"></i>${k}</span>`).join("")}</p>
<h2>Timeline</h2>
${timeline}
<h2>Supersteps</h2>
${superstepChart}
<h2>Where the time went</h2>
${chart}
<h2>Recommendations</h2>
${advice}
<h2>Table</h2>
<table><tr><th>name</th>${columns.header.map((h) => `<th>${h}</th>`).join("")}</tr>${tableRows}</table>
</body></html>
`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
