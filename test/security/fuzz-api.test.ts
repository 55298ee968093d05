/**
 * A seeded property-based fuzzer over every grader route that takes a body (and the routes that take
 * a query or an id): malformed JSON, wrong types, missing and extra fields, huge strings, deep
 * nesting, prototype-pollution keys, bodies over the limit, wrong content types, bytes that are not
 * UTF-8, NUL bytes. The property: never a 5xx; every 4xx is JSON with a code, an English message and
 * a Japanese one. Fixed seed: a failure replays exactly (the case number and its request are printed).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGrader } from "../../apps/grader/src/server.ts";
import { createUser } from "@tfm/db";
import { type ScratchDatabase, openScratchDatabase } from "@tfm/db/testing";
import { Rng } from "@tfm/spec";

const SEED = 0x5eed_2026;
const CASES = 2_400;
const TOKEN = "fuzz-token-0123456789abcdef";
const SOLUTION = readFileSync(new URL("../../exercises/smiles-tokenizer/solution.ts", import.meta.url), "utf8");

/** The project's seeded generator (@tfm/spec), with the few shapes the fuzzer draws. */
function rng(seed: number) {
  const r = new Rng(seed);
  return { next: () => r.random(), int: (n: number) => r.int(0, n), pick: <T>(xs: readonly T[]): T => r.pick(xs), chance: (p: number) => r.random() < p };
}
type Rand = ReturnType<typeof rng>;

const NASTY_STRINGS = [
  "", " ", "\u0000", "a\u0000b", "\uFFFD", "\uD800", "\uDFFF\uD800", "💥", "x".repeat(70_000), "é".repeat(1000), "<script>alert(1)</script>", "'; DROP TABLE submissions; --",
  "../../../../etc/passwd", "%00", "${process.exit()}", "__proto__", "constructor", "prototype", "toString", "scaled-dot-product-attention", "smiles-tokenizer", "UPPER-CASE", "-1", "1e309", "NaN",
];
/** Path segments as they travel, malformed percent-encodings included. */
const RAW_SEGMENTS = ["%ff", "%E0%A4%A", "%00", "..%2f..%2fetc%2fpasswd", "%", "%%", "a%2Fb", "%C0%AE%C0%AE", "x".repeat(5000)];
const KEYS = ["exerciseId", "source", "seed", "lang", "scope", "userId", "answers", "text", "__proto__", "constructor", "prototype", "extra", "", "\u0000", "$tensor", "toString"];

function value(r: Rand, depth: number): unknown {
  switch (r.int(depth > 3 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 32, 2 ** 53 + 1, -0, 1e308, Number.MAX_SAFE_INTEGER, 4294967295, 4294967296]);
    case 3:
    case 4:
      return r.pick(NASTY_STRINGS);
    case 5:
      return "s".repeat(r.int(300));
    case 6:
      return r.pick(["ja", "en", "fr", "all", "public", "hidden"]);
    case 7: {
      const n = r.int(5);
      return Array.from({ length: n }, () => value(r, depth + 1));
    }
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--) o[r.pick(KEYS)] = value(r, depth + 1);
      return o;
    }
  }
}

function nested(depth: number, r: Rand): string {
  return r.chance(0.5) ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

interface FuzzRequest {
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  label: string;
}

/** A valid body for each route, to be broken in one or more places. */
function template(path: string, userId: string): Record<string, unknown> {
  if (path === "/v1/grade") return { exerciseId: "smiles-tokenizer", source: SOLUTION, seed: 1, lang: "en" };
  if (path === "/v1/submissions") return { userId, exerciseId: "smiles-tokenizer", source: SOLUTION, lang: "en" };
  if (path.endsWith("/grade")) return { answers: {}, seed: 1, lang: "en" };
  return { text: "attention weights are a softmax over scaled dot products", lang: "en" };
}

function makeCase(r: Rand, n: number, routes: string[], userId: string): FuzzRequest {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const kind = r.int(100);
  // GET routes with hostile ids and queries.
  if (kind < 8) {
    const raw = r.pick(NASTY_STRINGS).slice(0, 200);
    let id: string;
    try {
      id = r.chance(0.3) ? r.pick(RAW_SEGMENTS) : encodeURIComponent(raw);
    } catch {
      id = r.pick(RAW_SEGMENTS); // a lone surrogate cannot be percent-encoded
    }
    const path = r.pick([`/v1/exercises/${id}`, `/v1/quizzes/${id}`, `/v1/free-text/${id}`, `/v1/submissions/${id}`, `/v1/quizzes/attention-basics?seed=${id}`, `/v1/quizzes/attention-basics?seed=1&x=${id}`]);
    return { method: "GET", path, headers: auth, label: `${n}: GET ${path.slice(0, 80)}` };
  }
  const path = r.pick(routes);
  const headers: Record<string, string> = { "content-type": "application/json", ...auth };
  let body: string | Uint8Array;
  let label: string;
  if (kind < 20) {
    // Malformed JSON: a valid body cut short or with a byte changed.
    const text = JSON.stringify(template(path, userId));
    const cut = r.int(text.length);
    body = r.chance(0.5) ? text.slice(0, cut) : text.slice(0, cut) + r.pick(["\u0000", "}", "{", ",", "'", "\\", "\n", "NaN", "undefined"]) + text.slice(cut + 1);
    label = "malformed JSON";
  } else if (kind < 26) {
    headers["content-type"] = r.pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "", "application/json; charset=latin1", "application/json; charset=utf-16"]);
    if (headers["content-type"] === "") delete headers["content-type"];
    body = r.chance(0.5) ? JSON.stringify(template(path, userId)) : "exerciseId=smiles-tokenizer&source=x";
    label = `content-type ${headers["content-type"] ?? "(none)"}`;
  } else if (kind < 30) {
    // Bytes that are not UTF-8, inside and outside strings.
    const pre = Buffer.from('{"exerciseId":"smiles-tokenizer","source":"');
    const bad = Buffer.from(Array.from({ length: 1 + r.int(8) }, () => r.pick([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x00, 0xf8])));
    body = new Uint8Array(Buffer.concat(r.chance(0.7) ? [pre, bad, Buffer.from('","seed":1}')] : [bad, pre]));
    label = "invalid UTF-8";
  } else if (kind < 33) {
    body = nested(r.pick([100, 1_000, 10_000, 100_000]), r);
    label = "deep nesting";
  } else if (kind < 34) {
    body = JSON.stringify({ ...template(path, userId), source: "x".repeat(600 * 1024) });
    label = "over the body limit";
  } else if (kind < 40) {
    // Not an object at the top.
    body = r.pick(["null", "1", '"text"', "[]", "true", "[{}]", '"\\u0000"']);
    label = "top-level non-object";
  } else if (kind < 48) {
    // Prototype pollution and constructor keys, as raw JSON (JSON.stringify would drop __proto__ semantics).
    const t = JSON.stringify(template(path, userId));
    const inject = r.pick(['"__proto__":{"polluted":true,"exerciseId":"x"}', '"constructor":{"prototype":{"polluted":true}}', '"__proto__":null', '"prototype":1', '"exerciseId":"smiles-tokenizer","exerciseId":7']);
    body = `{${inject},${t.slice(1)}`;
    label = "prototype keys";
  } else {
    // Field-level mutations of a valid body: wrong types, missing fields, extra fields.
    const t = template(path, userId);
    const keys = Object.keys(t);
    for (let m = 1 + r.int(3); m > 0; m--) {
      const op = r.int(3);
      const key = op === 2 ? r.pick(KEYS) : r.pick(keys);
      if (op === 0) delete t[key];
      else t[key] = value(r, 0);
    }
    body = JSON.stringify(t);
    label = "mutated fields";
  }
  return { method: "POST", path, headers, body, label: `${n}: POST ${path} (${label})` };
}

let grader: Awaited<ReturnType<typeof startGrader>>;
let scratch: ScratchDatabase;
let userId: string;
let routes: string[];

describe("API fuzzer (fixed seed)", () => {
  beforeAll(async () => {
    const opened = await openScratchDatabase("sqlite", "fuzz");
    scratch = opened.scratch;
    userId = (await createUser(opened.db, { email: "fuzz@example.org", displayName: "Fuzz" })).id;
    await opened.db.close();
    grader = await startGrader({ ...process.env, TFM_GRADER_PORT: "0", TFM_GRADER_WORKERS: "1", TFM_DATABASE_URL: scratch.url, TFM_GRADER_TOKEN: TOKEN, TFM_SUBMIT_PER_MINUTE: "5" });
    const quizzes = (await (await fetch(`${grader.url}/v1/quizzes`)).json()) as { quizzes: { id: string }[] };
    const freeText = (await (await fetch(`${grader.url}/v1/free-text`)).json()) as { problems: { id: string }[] };
    routes = [
      "/v1/grade",
      "/v1/submissions",
      ...quizzes.quizzes.slice(0, 3).map((q) => `/v1/quizzes/${q.id}/grade`),
      ...freeText.problems.map((p) => `/v1/free-text/${p.id}/answer`),
      "/v1/exercises",
      "/v1/nowhere",
    ];
    expect(routes.length).toBeGreaterThanOrEqual(6);
  });

  afterAll(async () => {
    await grader?.close();
    await scratch?.drop();
  });

  it(`answers ${CASES} generated requests with no 5xx, and every 4xx says what was wrong in ja and en`, async () => {
    const r = rng(SEED);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (let n = 0; n < CASES; n++) {
      const c = makeCase(r, n, routes, userId);
      const res = await fetch(`${grader.url}${c.path}`, { method: c.method, headers: c.headers, ...(c.body === undefined ? {} : { body: c.body }) });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const text = await res.text();
      if (res.status >= 500) {
        failures.push(`${c.label} -> ${res.status} ${text.slice(0, 300)}`);
        continue;
      }
      if (res.status >= 400) {
        let body: { error?: unknown; message?: unknown; messageJa?: unknown } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          failures.push(`${c.label} -> ${res.status} not JSON: ${text.slice(0, 200)}`);
          continue;
        }
        const ok =
          typeof body.error === "string" &&
          typeof body.message === "string" &&
          body.message.length > 0 &&
          typeof body.messageJa === "string" &&
          /[\u3040-\u30ff\u4e00-\u9fff]/.test(body.messageJa);
        if (!ok) failures.push(`${c.label} -> ${res.status} without both messages: ${text.slice(0, 200)}`);
      }
    }
    console.log(`API fuzzer: ${CASES} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect(failures.slice(0, 20)).toEqual([]);
    // The generator reaches the validation paths: most requests are refused, some are accepted.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(CASES / 3);
    expect([413, 415, 404].filter((s) => (statuses.get(s) ?? 0) > 0)).toEqual([413, 415, 404]);
  });

  it("names the field and the problem, in both languages", async () => {
    const res = await fetch(`${grader.url}/v1/grade`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ exerciseId: "smiles-tokenizer", source: 42 }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string; messageJa: string };
    expect(body.message).toMatch(/source: .*expected string/i);
    expect(body.messageJa).toMatch(/source: .*(文字列|string)/);
  });

  it.each([
    ["a NUL byte in the source", `${SOLUTION}\n// \u0000 NUL in a comment\n`, ["passed"]],
    ["a NUL byte in a string literal", SOLUTION.replace("const tokens: string[] = [];", 'const tokens: string[] = []; void "\\u0000\u0000";'), ["passed"]],
    ["a bare NUL byte in the code", `${SOLUTION}\n\u0000\n`, ["compile_error"]],
    ["lone surrogates in the source", `${SOLUTION}\n// \uD800 \uDFFF\n`, ["passed"]],
  ])("grades a source with %s cleanly", async (_what, source, verdicts) => {
    const res = await fetch(`${grader.url}/v1/grade`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ exerciseId: "smiles-tokenizer", source, seed: 5 }),
    });
    expect(res.status).toBe(200);
    const r = (await res.json()) as { verdict: string };
    expect(verdicts).toContain(r.verdict);
  });

  it("grades a source sent with bytes that are not UTF-8 (replaced, never a crash)", async () => {
    const body = Buffer.from(JSON.stringify({ exerciseId: "smiles-tokenizer", seed: 5, source: `${SOLUTION}\n// QQZZ\n` }));
    const at = body.indexOf("QQZZ");
    expect(at).toBeGreaterThan(0);
    body.set([0xff, 0xfe, 0xc0, 0x80], at);
    const res = await fetch(`${grader.url}/v1/grade`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` }, body: new Uint8Array(body) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { verdict: string }).verdict).toBe("passed");
  });
});
