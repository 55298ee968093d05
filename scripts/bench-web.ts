import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { createSession } from "@tfm/db";
import { generateClass } from "@tfm/db/synthetic-class";
import { openScratchDatabase, testProviders } from "@tfm/db/testing";
import { startGrader } from "../apps/grader/src/server.ts";
import { ROOT, ensureWebBuild, startPortal } from "../test/web/harness.ts";

/**
 * `npm run bench:web`: server-rendered page timings of the portal (production build, `next start`)
 * on a class of 500 students x 23 exercises x 10 submissions, over HTTP, each page fetched `--runs`
 * times after two warm-up requests: the instructor's dashboard and CSV export, a student's checklist,
 * exercise list and exercise page. Prints median and p95 per page and database; writes
 * bench-results/web-pages.json. Options: --students, --per, --runs, --provider sqlite|postgresql.
 */
const { values } = parseArgs({
  options: {
    students: { type: "string", default: "500" },
    per: { type: "string", default: "10" },
    runs: { type: "string", default: "20" },
    provider: { type: "string" },
  },
});
const students = Number(values.students);
const per = Number(values.per);
const runs = Number(values.runs);
const providers = values.provider === undefined ? testProviders() : testProviders().filter((p) => p === values.provider);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

await ensureWebBuild();
const { TFM_DATABASE_URL: _ignored, ...graderEnv } = process.env;
const grader = await startGrader({ ...graderEnv, TFM_GRADER_PORT: "0", TFM_GRADER_WORKERS: "1" });
const report: Record<string, Record<string, { median: number; p95: number; bytes: number }>> = {};
try {
  for (const provider of providers) {
    const { db, scratch, close } = await openScratchDatabase(provider, "benchweb");
    try {
      const t0 = performance.now();
      const cls = await generateClass(db, { students, exercises: 23, submissionsPerExercise: per, everyExercise: true, seed: 7 });
      console.log(`${provider}: class of ${cls.studentIds.length} students, ${cls.submissions.length} submissions written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const teacher = (await createSession(db, cls.instructorId)).token;
      const student = (await createSession(db, cls.studentIds[0] ?? "")).token;
      const portal = await startPortal({ TFM_DATABASE_URL: scratch.url, TFM_GRADER_URL: grader.url });
      try {
        const pages: [string, string, string][] = [
          ["dashboard (instructor)", `/classes/${cls.classId}`, teacher],
          ["CSV export (instructor)", `/classes/${cls.classId}/export`, teacher],
          ["checklist (student)", "/checklist", student],
          ["exercise list (student)", "/exercises", student],
          ["exercise page (student)", "/exercises/scaled-dot-product-attention", student],
        ];
        report[provider] = {};
        for (const [name, url, token] of pages) {
          const samples: number[] = [];
          let bytes = 0;
          for (let i = 0; i < runs + 2; i++) {
            const t = performance.now();
            const res = await fetch(portal.url + url, { headers: { cookie: `tfm_session=${token}` }, redirect: "manual" });
            const body = await res.arrayBuffer();
            const ms = performance.now() - t;
            if (res.status !== 200) throw new Error(`${url}: status ${res.status}\n${portal.log().slice(-2000)}`);
            bytes = body.byteLength;
            if (i >= 2) samples.push(ms);
          }
          samples.sort((a, b) => a - b);
          const row = { median: quantile(samples, 0.5), p95: quantile(samples, 0.95), bytes };
          report[provider][name] = row;
          console.log(`${provider.padEnd(10)} ${name.padEnd(26)} median ${row.median.toFixed(1).padStart(7)} ms  p95 ${row.p95.toFixed(1).padStart(7)} ms  ${(bytes / 1024).toFixed(0)} kB`);
        }
      } finally {
        await portal.close();
      }
    } finally {
      await close();
    }
  }
} finally {
  await grader.close();
}
mkdirSync(path.join(ROOT, "bench-results"), { recursive: true });
writeFileSync(path.join(ROOT, "bench-results/web-pages.json"), `${JSON.stringify({ students, per, runs, at: new Date().toISOString(), report }, null, 2)}\n`);
process.exit(0);
