import {
  type Choice,
  type GradeResult,
  type Localized,
  type ParsedQuizGradeRequest,
  type QuizAnswer,
  type TestResult,
  type UnitSpec,
  type UnitSymbol,
  shapeText,
} from "@tfm/contract";
import { scoreOf, verdictOf, verdictText } from "../verdict.ts";
import { type NumberWithUnit, lookupUnit, parseNumberWithUnit, parseShape, unitFactor } from "./answers.ts";
import type { QuizCatalog } from "./catalog.ts";
import { type QuestionInstance, instantiateQuiz } from "./instance.ts";

/** Quizzes are graded in-process: no sandbox, no reference backend. */
export const QUIZ_GRADER_VERSION = "quiz-1.0.0";
export const QUIZ_BACKEND = "none (quiz)";

export class UnknownQuizError extends Error {
  override name = "UnknownQuizError";
}

/** The request names questions that do not exist or sends an answer of the wrong form: the client's mistake, not a wrong answer. */
export class QuizAnswerError extends Error {
  override name = "QuizAnswerError";
  constructor(readonly issues: string[]) {
    super(issues.join("; "));
  }
}

interface Judgement {
  correct: boolean;
  /** The student's answer as we read it. */
  actual: Localized | null;
  hint: Localized | null;
  expectedShape: number[] | null;
  actualShape: number[] | null;
  absError: number | null;
  relError: number | null;
}

const judged = (correct: boolean, actual: Localized | null, extra: Partial<Judgement> = {}): Judgement => ({
  correct,
  actual,
  hint: null,
  expectedShape: null,
  actualShape: null,
  absError: null,
  relError: null,
  ...extra,
});

const same = (s: string): Localized => ({ ja: s, en: s });

function choiceText(choices: readonly Choice[], id: string): Localized {
  const c = choices.find((x) => x.id === id);
  return c === undefined ? same(id) : { ja: `「${c.text.ja}」`, en: `"${c.text.en}"` };
}

function joinLocalized(parts: readonly Localized[]): Localized {
  return { ja: parts.map((p) => p.ja).join("、"), en: parts.map((p) => p.en).join(", ") };
}

/** At most 6 significant digits, no locale: what a student would have typed. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(6)));
}

function withinTolerance(actual: number, expected: number, tol: { abs?: number | undefined; rel?: number | undefined }): boolean {
  return Math.abs(actual - expected) <= (tol.abs ?? 0) + (tol.rel ?? 0) * Math.abs(expected);
}

function readNumeric(answer: QuizAnswer): NumberWithUnit | { unreadable: Localized } | null {
  if (typeof answer === "number") return { value: answer, unit: null };
  if (typeof answer === "string") {
    const p = parseNumberWithUnit(answer);
    return p.ok ? p.value : { unreadable: p.reason };
  }
  if (!Array.isArray(answer)) return { value: answer.value, unit: answer.unit ?? null };
  return null;
}

function showValue(n: NumberWithUnit): Localized {
  return same(n.unit === null ? formatNumber(n.value) : `${formatNumber(n.value)} ${n.unit}`);
}

function showExpected(expected: number, unit: UnitSpec | undefined): Localized {
  if (unit === undefined) return same(formatNumber(expected));
  return same(unit.accepted
    .slice(0, 2)
    .map((u) => `${formatNumber(expected / unitFactor(u))} ${u}`)
    .join(" = "));
}

function judgeNumeric(inst: Extract<QuestionInstance, { kind: "numeric" }>, n: NumberWithUnit): Judgement {
  const q = inst.question;
  const actual = showValue(n);
  let unit: UnitSymbol | null = null;
  if (q.unit === undefined) {
    if (n.unit !== null) {
      return judged(false, actual, {
        hint: { ja: "この問題は単位のない数値で答えます。", en: "This question takes a plain number without a unit." },
      });
    }
  } else {
    const list = q.unit.accepted.join(", ");
    if (n.unit === null) {
      if (q.unit.defaultUnit === null) {
        return judged(false, actual, {
          hint: { ja: `単位を付けて答えてください (使える単位: ${list})。`, en: `State the unit (accepted: ${list}).` },
        });
      }
      unit = q.unit.defaultUnit;
    } else {
      const found = lookupUnit(n.unit);
      if (found === null || !q.unit.accepted.includes(found)) {
        return judged(false, actual, {
          hint: { ja: `単位「${n.unit}」はこの問題では使えません (使える単位: ${list})。`, en: `The unit "${n.unit}" is not accepted here (accepted: ${list}).` },
        });
      }
      unit = found;
    }
  }
  const value = unit === null ? n.value : n.value * unitFactor(unit);
  const absError = Math.abs(value - inst.expected);
  const relError = inst.expected === 0 ? null : absError / Math.abs(inst.expected);
  const errors = inst.hidden ? {} : { absError, relError };
  if (withinTolerance(value, inst.expected, q.tolerance)) return judged(true, actual, errors);
  // The classic slip: the right number of GiB written as GB, or the other way round.
  const unitSpec = q.unit;
  if (unit !== null && unitSpec !== undefined) {
    const meant = unitSpec.accepted.find((u) => u !== unit && withinTolerance(n.value * unitFactor(u), inst.expected, q.tolerance));
    if (meant !== undefined) {
      return judged(false, actual, {
        ...errors,
        hint: {
          ja: `数値は単位を ${meant} と読めば合っています。${unit} と ${meant} の違い (GB = 10⁹ バイト、GiB = 2³⁰ バイト) を確認しましょう。`,
          en: `The number would be right in ${meant}. Check the difference between ${unit} and ${meant} (GB = 10⁹ bytes, GiB = 2³⁰ bytes).`,
        },
      });
    }
  }
  return judged(false, actual, errors);
}

function judgeShape(inst: Extract<QuestionInstance, { kind: "shape" }>, shape: number[]): Judgement {
  const actual = same(shapeText(shape));
  const expected = inst.expected;
  const extra = { actualShape: shape, expectedShape: inst.hidden ? null : expected };
  if (shape.length === expected.length && shape.every((s, i) => s === expected[i])) return judged(true, actual, extra);
  if (shape.length !== expected.length) {
    return judged(false, actual, {
      ...extra,
      hint: {
        ja: `軸の数が違います (あなたの答えは ${shape.length} 軸、正解は ${expected.length} 軸)。`,
        en: `The number of axes differs (yours has ${shape.length}, the answer has ${expected.length}).`,
      },
    });
  }
  const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b).join(",");
  if (sorted(shape) === sorted(expected)) {
    return judged(false, actual, {
      ...extra,
      hint: {
        ja: "サイズは合っていますが、並び順が違います。どの軸が入れ替わるか (transpose) を確認しましょう。",
        en: "The sizes are right but in the wrong order. Check which axes are swapped (transpose).",
      },
    });
  }
  return judged(false, actual, extra);
}

/** Right or wrong for one answered question; a malformed answer is reported in `issues` instead. */
function judge(inst: QuestionInstance, answer: QuizAnswer, issues: string[]): Judgement | null {
  const where = `answers.${inst.question.id}`;
  switch (inst.kind) {
    case "single": {
      if (typeof answer !== "string" || !inst.choices.some((c) => c.id === answer)) {
        issues.push(`${where}: give one choice id (${inst.choices.map((c) => c.id).join(", ")})`);
        return null;
      }
      return judged(answer === inst.expected, choiceText(inst.choices, answer));
    }
    case "multiple": {
      if (!Array.isArray(answer) || !answer.every((a): a is string => typeof a === "string" && inst.choices.some((c) => c.id === a))) {
        issues.push(`${where}: give a list of choice ids (${inst.choices.map((c) => c.id).join(", ")})`);
        return null;
      }
      const picked = new Set(answer);
      const correct = picked.size === inst.expected.length && inst.expected.every((e) => picked.has(e));
      const shown = inst.choices.filter((c) => picked.has(c.id)).map((c) => choiceText(inst.choices, c.id));
      return judged(correct, shown.length === 0 ? { ja: "(選択なし)", en: "(nothing selected)" } : joinLocalized(shown));
    }
    case "numeric": {
      const n = readNumeric(answer);
      if (n === null) {
        issues.push(`${where}: give a number, a string such as "25.6 GB", or { "value": 25.6, "unit": "GB" }`);
        return null;
      }
      if ("unreadable" in n) return judged(false, typeof answer === "string" ? same(answer) : null, { hint: n.unreadable });
      return judgeNumeric(inst, n);
    }
    case "shape": {
      if (typeof answer === "string") {
        const p = parseShape(answer);
        return p.ok ? judgeShape(inst, p.value) : judged(false, same(answer), { hint: p.reason });
      }
      if (Array.isArray(answer) && answer.every((a): a is number => typeof a === "number")) {
        if (!answer.every((a) => Number.isInteger(a) && a >= 0)) {
          return judged(false, same(shapeText(answer)), { hint: { ja: "shape の各要素は 0 以上の整数です。", en: "Every size in a shape is a whole number >= 0." } });
        }
        return judgeShape(inst, answer);
      }
      issues.push(`${where}: give a shape as a string such as "(2, 8, 5, 7)" or a list of sizes`);
      return null;
    }
  }
}

function expectedText(inst: QuestionInstance): Localized {
  switch (inst.kind) {
    case "single":
      return choiceText(inst.choices, inst.expected);
    case "multiple":
      return joinLocalized(inst.choices.filter((c) => inst.expected.includes(c.id)).map((c) => choiceText(inst.choices, c.id)));
    case "numeric":
      return showExpected(inst.expected, inst.question.unit);
    case "shape":
      return same(shapeText(inst.expected));
  }
}

function messageOf(inst: QuestionInstance, j: Judgement | null): Localized {
  const ja: string[] = [];
  const en: string[] = [];
  if (j === null) {
    ja.push("未回答です。");
    en.push("Not answered.");
  } else if (j.correct) {
    ja.push("正解です。");
    en.push("Correct.");
  } else {
    ja.push("不正解です。");
    en.push("Incorrect.");
  }
  if (j !== null && j.actual !== null && !j.correct) {
    ja.push(`あなたの答え: ${j.actual.ja}。`);
    en.push(`Your answer: ${j.actual.en}.`);
  }
  // A randomised variant never reveals its answer: the same seed could simply be graded again.
  if ((j === null || !j.correct) && !inst.hidden) {
    const e = expectedText(inst);
    ja.push(`正解: ${e.ja}。`);
    en.push(`Answer: ${e.en}.`);
  }
  if (j?.hint) {
    ja.push(j.hint.ja);
    en.push(j.hint.en);
  }
  return {
    ja: `${ja.join("")}\n解説: ${inst.question.explanation.ja}`,
    en: `${en.join(" ")}\nExplanation: ${inst.question.explanation.en}`,
  };
}

/** Grades a quiz into the same GradeResult a code exercise gets: one test per question. */
export function gradeQuiz(request: ParsedQuizGradeRequest, catalog: QuizCatalog): GradeResult {
  const started = performance.now();
  const entry = catalog.quizzes.get(request.quizId);
  if (entry === undefined) throw new UnknownQuizError(`no quiz with id '${request.quizId}'`);
  const instances = instantiateQuiz(entry.quiz, request.seed);

  const issues: string[] = [];
  const known = new Set(instances.map((i) => i.question.id));
  for (const id of Object.keys(request.answers)) {
    if (!known.has(id)) issues.push(`answers.${id}: quiz '${request.quizId}' has no question '${id}' (it has ${[...known].join(", ")})`);
  }
  const judgements = instances.map((inst) => {
    const t0 = performance.now();
    const answer = request.answers[inst.question.id];
    const j = answer === undefined ? null : judge(inst, answer, issues);
    return { inst, j, ms: performance.now() - t0 };
  });
  if (issues.length > 0) throw new QuizAnswerError(issues);

  const tests: TestResult[] = judgements.map(({ inst, j, ms }) => ({
    id: inst.question.id,
    name: { ja: `問 ${inst.number}`, en: `Question ${inst.number}` },
    kind: inst.hidden ? "hidden" : "public",
    status: j?.correct === true ? "passed" : "failed",
    message: messageOf(inst, j),
    part: null,
    expectedShape: j?.expectedShape ?? (inst.kind === "shape" && !inst.hidden ? inst.expected : null),
    actualShape: j?.actualShape ?? null,
    maxAbsError: j?.absError ?? null,
    maxRelError: j?.relError ?? null,
    mismatches: null,
    pitfall: null,
    heatmap: null,
    durationMs: ms,
  }));

  const verdict = verdictOf(tests);
  const { score, passed, total } = scoreOf(tests);
  const head = verdictText(verdict);
  const totalMs = performance.now() - started;
  return {
    resultVersion: 1,
    exerciseId: entry.quiz.id,
    exerciseVersion: entry.version,
    seed: request.seed,
    scope: "all",
    lang: request.lang,
    verdict,
    score,
    passed,
    total,
    summary: { ja: `${head.ja}: ${total} 問中 ${passed} 問正解`, en: `${head.en}: ${passed} of ${total} questions correct` },
    compileErrors: [],
    runtimeError: null,
    tests,
    console: "",
    consoleTruncated: false,
    backend: QUIZ_BACKEND,
    graderVersion: QUIZ_GRADER_VERSION,
    timings: { transpileMs: 0, sandboxMs: 0, referenceMs: 0, compareMs: totalMs, totalMs },
  };
}
