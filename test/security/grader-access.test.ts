/**
 * The grader API's access matrix: every route x (no token, a wrong token, the right token), the
 * per-user scoping of GET /v1/submissions/:id (X-TFM-User, sent by the portal on behalf of a
 * student), the per-user submission rate limit (429 + Retry-After), and a scan of every response for
 * what must never leave the grader: mutant sources, model solutions, reference code, hidden inputs.
 *
 * Roles (students, instructors, admins) live in the portal, which signs people in and calls the
 * grader with the shared token; the portal's own matrix is test/web-access.test.ts.
 */
import { readFileSync, readdirSync } from "node:fs";
import { Rng, deriveSeed } from "@tfm/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mutantIdsIn, mutantSourceIn } from "../../apps/grader/src/mutants.ts";
import { startGrader } from "../../apps/grader/src/server.ts";
import { type Database, createUser } from "../../packages/db/src/index.ts";
import { type ScratchDatabase, openScratchDatabase } from "../../packages/db/src/testing.ts";
import smilesSpec from "../../exercises/smiles-tokenizer/spec.ts";
import { ROOT, waitFor } from "./grader-process.ts";

const TOKEN = "access-matrix-token-0123456789";
const EX = "smiles-tokenizer";
const SEED = 77;
const SOLUTION = readFileSync(`${ROOT}/exercises/${EX}/solution.ts`, "utf8");

type Auth = "none" | "wrong" | "right";
const AUTHS: Auth[] = ["none", "wrong", "right"];
const headersFor = (auth: Auth): Record<string, string> =>
  auth === "none" ? {} : { authorization: `Bearer ${auth === "right" ? TOKEN : "not-the-token-0123456789abc"}` };

/** Lines of a file that say something specific: long enough, and not also in what students may see. */
function markers(file: string, publicText: string, text = readFileSync(file, "utf8")): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length >= 30 && !l.startsWith("//") && !l.startsWith("*") && !l.startsWith("/*") && !l.startsWith("import ") && !publicText.includes(l));
}

/** Everything a student may legitimately see: statements, starters, pitfall texts, quizzes' public parts. */
function publicTexts(): string {
  const parts: string[] = [];
  for (const ex of readdirSync(`${ROOT}/exercises`, { withFileTypes: true })) {
    if (!ex.isDirectory()) continue;
    for (const f of ["statement.ja.md", "statement.en.md", "starter.ts", "exercise.json"]) {
      try {
        parts.push(readFileSync(`${ROOT}/exercises/${ex.name}/${f}`, "utf8"));
      } catch {
        // not an exercise folder
      }
    }
  }
  for (const f of readdirSync(`${ROOT}/exercises/pitfalls`)) parts.push(readFileSync(`${ROOT}/exercises/pitfalls/${f}`, "utf8"));
  return parts.join("\n");
}

interface Secret {
  what: string;
  text: string;
}

function secrets(): Secret[] {
  const pub = publicTexts();
  const out: Secret[] = [];
  for (const ex of readdirSync(`${ROOT}/exercises`, { withFileTypes: true })) {
    if (!ex.isDirectory()) continue;
    const dir = `${ROOT}/exercises/${ex.name}`;
    const mutants = mutantIdsIn(dir);
    if (mutants.length === 0) continue;
    const solution = readFileSync(`${dir}/solution.ts`, "utf8");
    // A mutant is a patch: what could leak is the wrong solution it makes.
    for (const m of mutants) for (const line of markers(`${dir}/mutants/${m}.patch`, pub + solution, mutantSourceIn(dir, m))) out.push({ what: `mutant ${ex.name}/${m}`, text: line });
    for (const line of markers(`${ROOT}/exercises/${ex.name}/solution.ts`, pub)) out.push({ what: `solution ${ex.name}`, text: line });
    try {
      for (const line of markers(`${ROOT}/reference/src/exercises/${ex.name}.ts`, pub)) out.push({ what: `reference ${ex.name}`, text: line });
    } catch {
      // exercise without its own reference file
    }
  }
  const publicInputs = new Set(smilesSpec.cases.filter((c) => c.kind !== "hidden").map((c) => String(c.make({ rng: new Rng(deriveSeed(0, c.id)) })[0])));
  for (const c of smilesSpec.cases.filter((c) => c.kind === "hidden")) {
    const input = String(c.make({ rng: new Rng(deriveSeed(SEED, c.id)) })[0]);
    if (input.length >= 6 && !publicInputs.has(input) && !pub.includes(input)) out.push({ what: `hidden input ${c.id}`, text: input });
  }
  return out;
}

let grader: Awaited<ReturnType<typeof startGrader>>;
let scratch: ScratchDatabase;
let db: Database;
let alice: string;
let bob: string;
let aliceSubmission: string;
const bodies: { label: string; text: string }[] = [];

async function call(method: "GET" | "POST", path: string, auth: Auth, body?: unknown, extra: Record<string, string> = {}) {
  const res = await fetch(`${grader.url}${path}`, {
    method,
    headers: { ...headersFor(auth), ...(body === undefined ? {} : { "content-type": "application/json" }), ...extra },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  bodies.push({ label: `${method} ${path} (${auth})`, text });
  return { status: res.status, text, headers: res.headers };
}

describe("grader API access control", () => {
  beforeAll(async () => {
    const opened = await openScratchDatabase("sqlite", "access");
    scratch = opened.scratch;
    db = opened.db;
    alice = (await createUser(db, { email: "alice@example.org", displayName: "Alice" })).id;
    bob = (await createUser(db, { email: "bob@example.org", displayName: "Bob" })).id;
    grader = await startGrader({
      ...process.env,
      TFM_GRADER_PORT: "0",
      TFM_GRADER_WORKERS: "1",
      TFM_DATABASE_URL: scratch.url,
      TFM_GRADER_TOKEN: TOKEN,
      TFM_SUBMIT_PER_MINUTE: "3",
      TFM_SUBMIT_PER_DAY: "100",
    });
    const submitted = await call("POST", "/v1/submissions", "right", { userId: alice, exerciseId: EX, source: SOLUTION, lang: "en" });
    expect(submitted.status).toBe(202);
    aliceSubmission = (JSON.parse(submitted.text) as { id: string }).id;
    await waitFor(async () => ((JSON.parse((await call("GET", `/v1/submissions/${aliceSubmission}`, "right")).text) as { status: string }).status === "done" ? true : undefined), 60_000, "the submission to be graded");
  });

  afterAll(async () => {
    await grader?.close();
    await db?.close();
    await scratch?.drop();
  });

  const quiz = "concept-bert-vs-gpt";
  const freeText = () => readdirSync(`${ROOT}/exercises/free-text`)[0]?.replace(/\.json$/, "") ?? "none";
  const OPEN = { none: 200, wrong: 200, right: 200 } as const;
  const TOKEN_ONLY = (ok: number) => ({ none: 401, wrong: 401, right: ok });

  const matrix: { route: string; method: "GET" | "POST"; path: () => string; body?: () => unknown; expect: Record<Auth, number> }[] = [
    { route: "GET /health", method: "GET", path: () => "/health", expect: OPEN },
    { route: "GET /metrics", method: "GET", path: () => "/metrics", expect: OPEN },
    { route: "GET /v1/exercises", method: "GET", path: () => "/v1/exercises", expect: OPEN },
    { route: "GET /v1/exercises/:id", method: "GET", path: () => `/v1/exercises/${EX}`, expect: OPEN },
    { route: "GET /v1/quizzes", method: "GET", path: () => "/v1/quizzes", expect: OPEN },
    { route: "GET /v1/quizzes/:id", method: "GET", path: () => `/v1/quizzes/${quiz}?seed=3`, expect: OPEN },
    { route: "POST /v1/quizzes/:id/grade", method: "POST", path: () => `/v1/quizzes/${quiz}/grade`, body: () => ({ answers: {}, seed: 3 }), expect: OPEN },
    { route: "GET /v1/free-text", method: "GET", path: () => "/v1/free-text", expect: OPEN },
    { route: "GET /v1/free-text/:id", method: "GET", path: () => `/v1/free-text/${freeText()}`, expect: OPEN },
    { route: "GET /v1/checklist", method: "GET", path: () => "/v1/checklist", expect: OPEN },
    { route: "POST /v1/grade", method: "POST", path: () => "/v1/grade", body: () => ({ exerciseId: EX, source: SOLUTION, seed: SEED }), expect: TOKEN_ONLY(200) },
    { route: "POST /v1/submissions", method: "POST", path: () => "/v1/submissions", body: () => ({ userId: bob, exerciseId: EX, source: "// bob" }), expect: TOKEN_ONLY(202) },
    { route: "GET /v1/submissions/:id", method: "GET", path: () => `/v1/submissions/${aliceSubmission}`, expect: TOKEN_ONLY(200) },
  ];

  it.each(matrix.flatMap((m) => AUTHS.map((auth) => ({ ...m, auth, name: `${m.route} with ${auth} token -> ${m.expect[auth]}` }))))("$name", async ({ method, path, body, auth, expect: want }) => {
    const r = await call(method, path(), auth, body?.());
    expect(r.status, r.text.slice(0, 300)).toBe(want[auth]);
    if (r.status === 401) {
      const b = JSON.parse(r.text) as { error: string; message: string; messageJa: string };
      expect(b).toMatchObject({ error: "unauthorized" });
      expect(b.message).toMatch(/Bearer/);
      expect(b.messageJa).toMatch(/トークン/);
    }
  });

  it("scopes a submission to the person the portal acts for: someone else's does not exist for them", async () => {
    const own = await call("GET", `/v1/submissions/${aliceSubmission}`, "right", undefined, { "x-tfm-user": alice });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.text)).toMatchObject({ id: aliceSubmission, userId: alice, status: "done", verdict: "passed" });
    const other = await call("GET", `/v1/submissions/${aliceSubmission}`, "right", undefined, { "x-tfm-user": bob });
    expect(other.status).toBe(404);
    const missing = await call("GET", "/v1/submissions/does-not-exist", "right", undefined, { "x-tfm-user": bob });
    expect(missing.status).toBe(404);
    // Same answer for "not yours" and "does not exist": ids cannot be probed.
    expect(JSON.parse(other.text).error).toBe(JSON.parse(missing.text).error);
    // Without the header the portal is trusted (an instructor's view of a class is the portal's check).
    expect((await call("GET", `/v1/submissions/${aliceSubmission}`, "right")).status).toBe(200);
  });

  it("limits submissions per user: 429 with Retry-After and a message in both languages, other users unaffected", async () => {
    // Alice has 1 submission from beforeAll; the limit is 3 a minute.
    for (let i = 0; i < 2; i++) expect((await call("POST", "/v1/submissions", "right", { userId: alice, exerciseId: EX, source: `// ${i}` })).status).toBe(202);
    const refused = await call("POST", "/v1/submissions", "right", { userId: alice, exerciseId: EX, source: "// one too many" });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const b = JSON.parse(refused.text) as { error: string; message: string; messageJa: string };
    expect(b.error).toBe("rate_limited");
    expect(b.message).toMatch(new RegExp(`at most 3 in a minute; submit again in ${retryAfter} s`));
    expect(b.messageJa).toMatch(new RegExp(`1 分間に 3 回まで.*${retryAfter} 秒後`));
    // Nothing was stored for the refused one.
    expect(await db.run("t", (p) => p.submission.count({ where: { userId: alice, source: "// one too many" } }))).toBe(0);
    expect((await call("POST", "/v1/submissions", "right", { userId: bob, exerciseId: EX, source: "// bob again" })).status).toBe(202);
  });

  it("never sends mutant sources, model solutions, reference code or hidden inputs", async () => {
    // Everything a client can read, on top of the matrix's answers.
    const list = JSON.parse((await call("GET", "/v1/exercises", "right")).text) as { exercises: { id: string }[] };
    for (const e of list.exercises) await call("GET", `/v1/exercises/${e.id}`, "right");
    const quizzes = JSON.parse((await call("GET", "/v1/quizzes", "right")).text) as { quizzes: { id: string }[] };
    for (const q of quizzes.quizzes) await call("GET", `/v1/quizzes/${q.id}?seed=${SEED}`, "right");
    const mutant = mutantSourceIn(`${ROOT}/exercises/${EX}`, mutantIdsIn(`${ROOT}/exercises/${EX}`)[0] ?? "");
    await call("POST", "/v1/grade", "right", { exerciseId: EX, source: mutant, seed: SEED });
    await call("POST", "/v1/grade", "right", { exerciseId: EX, source: "export function tokenizeSmiles(s: string): string[] { return [s]; }", seed: SEED });
    const all = secrets();
    expect(all.filter((s) => s.what.startsWith("mutant")).length).toBeGreaterThan(50);
    expect(all.filter((s) => s.what.startsWith("hidden")).length).toBeGreaterThan(3);
    expect(all.filter((s) => s.what.startsWith("reference")).length).toBeGreaterThan(20);
    // A student's own source comes back to them (GET /v1/submissions/:id, graded mutants): scan the
    // answers that are not about a source the client sent.
    const scanned = bodies.filter((b) => !/submissions\/|POST \/v1\/grade|POST \/v1\/submissions/.test(b.label));
    expect(scanned.length).toBeGreaterThan(40);
    const scan = (list: { label: string; text: string }[], of: Secret[]) =>
      list.flatMap((b) => of.filter((s) => b.text.includes(s.text) || b.text.includes(JSON.stringify(s.text).slice(1, -1))).map((s) => `${b.label}: ${s.what}: ${s.text}`));
    // The scan itself finds a planted secret, as JSON would carry it.
    const planted = all.find((s) => s.what.startsWith("mutant") && s.text.includes('"'));
    expect(scan([{ label: "planted", text: JSON.stringify({ starter: `x\n${planted?.text}\n` }) }], all)).not.toEqual([]);
    const leaks = scan(scanned, all);
    // Gradings echo the client's own source nowhere but may name test ids; hidden inputs never.
    leaks.push(...scan(bodies.filter((x) => /POST \/v1\/grade|submissions\//.test(x.label)), all.filter((x) => x.what.startsWith("hidden") || x.what.startsWith("reference"))));
    expect(leaks.slice(0, 10)).toEqual([]);
  });
});
