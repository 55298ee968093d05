import { DateTime, IANAZone } from "luxon";

/**
 * Assignment scores, computed in one place for the instructor's view, the student's page, the CSV
 * and the tests. Pure: no clock, no I/O; the same rules and history always give the same answer,
 * whatever order the history comes in.
 *
 * Rules (the item 3, and what we chose where it was silent):
 * - a submission's time is when it was RECEIVED (stored before grading), so a grading that finishes
 *   late, or a regrade, never changes whether it was on time;
 * - only submissions received in [opensAt, close] count, close being the hard close (moved out to an
 *   extended due time when that is later); later ones are practice, shown as not counted;
 * - received <= due is on time (due itself included); due + 1 ms is late;
 * - days late are counted in the class's time zone with a calendar-day step (Luxon's `plus({days})`
 *   keeps the wall-clock time across DST), so "due Friday 23:59, in by Saturday 23:59" is one day
 *   late whether that day had 23, 24 or 25 hours;
 * - the late deduction is `percentPerDay * daysLate`, never below `floorPercent` of the score;
 * - per item, the best counted submission after the deduction wins (on equal value the earliest);
 * - an instructor's override replaces the item's score after the policy and is reported as such;
 * - the total is the weighted mean of the item scores (0..1); missing items count 0.
 */

export type ItemKind = "exercise" | "quiz" | "free_text";
export const ITEM_KINDS: readonly ItemKind[] = ["exercise", "quiz", "free_text"];

export type LatePolicy = { kind: "none" } | { kind: "per_day"; percentPerDay: number; floorPercent: number };

export interface AssignmentItemRule {
  kind: ItemKind;
  itemId: string;
  /** > 0; the weights are relative (they need not sum to anything). */
  weight: number;
}

export interface AssignmentRules {
  /** IANA zone the days are counted in (the class's zone). */
  timeZone: string;
  opensAt: Date;
  dueAt: Date;
  /** Hard close: nothing received after it counts. null: late work is accepted for ever. */
  closesAt: Date | null;
  latePolicy: LatePolicy;
  items: readonly AssignmentItemRule[];
}

/** One submission, quiz attempt or free-text answer of the student. */
export interface AttemptRecord {
  id: string;
  kind: ItemKind;
  itemId: string;
  /** When the work was received (Submission.receivedAt, QuizAttempt.submittedAt, FreeTextAnswer.submittedAt). */
  receivedAt: Date;
  /** 0..1 from the current grading or the latest review; null while not graded yet. */
  score: number | null;
  /** false for a grading that must not cost the student an attempt (a grader fault): ignored. */
  counts: boolean;
}

/** A new due time for one student: for the whole assignment (item null) or for one item. */
export interface ExtensionRecord {
  kind: ItemKind | null;
  itemId: string | null;
  dueAt: Date;
}

export interface OverrideRecord {
  kind: ItemKind;
  itemId: string;
  /** 0..1 */
  score: number;
  comment: string;
}

export type ItemStatus = "on_time" | "late" | "missing" | "pending";

export interface ItemScore {
  kind: ItemKind;
  itemId: string;
  weight: number;
  /** The due time that applies to this student for this item (an extension's, when there is one). */
  dueAt: Date;
  extended: boolean;
  status: ItemStatus;
  /** The counted submission the score comes from (null when missing). */
  bestAttemptId: string | null;
  bestReceivedAt: Date | null;
  /** Its score before the late deduction. */
  rawScore: number | null;
  daysLate: number;
  /** The multiplier the late policy applied (1 on time). */
  factor: number;
  /** After the late policy; 0 when missing. */
  policyScore: number;
  override: OverrideRecord | null;
  /** The override's score when there is one, else policyScore. */
  score: number;
  /** Submissions received in the window (counted) and outside it (practice, not counted). */
  counted: number;
  notCounted: number;
  /** Counted submissions still waiting for a grade or review. */
  waiting: number;
}

export interface AssignmentScore {
  items: ItemScore[];
  /** Weighted mean of the item scores, 0..1. */
  total: number;
  /** Does any item have an extension? */
  extended: boolean;
}

export const itemKey = (kind: ItemKind, itemId: string): string => `${kind}:${itemId}`;

export class RuleError extends Error {}

/** Throws a RuleError saying what is wrong with the rules (also checked by the data layer's zod schema). */
export function checkRules(rules: AssignmentRules): void {
  if (!isValidZone(rules.timeZone)) throw new RuleError(`unknown time zone "${rules.timeZone}"`);
  if (!(rules.opensAt.getTime() <= rules.dueAt.getTime())) throw new RuleError("the assignment opens after its due time");
  if (rules.closesAt !== null && rules.closesAt.getTime() < rules.dueAt.getTime()) throw new RuleError("the hard close is before the due time");
  if (rules.latePolicy.kind === "per_day") {
    const { percentPerDay, floorPercent } = rules.latePolicy;
    if (!(percentPerDay >= 0 && percentPerDay <= 100)) throw new RuleError("the deduction per day must be between 0 and 100 percent");
    if (!(floorPercent >= 0 && floorPercent <= 100)) throw new RuleError("the floor must be between 0 and 100 percent");
  }
  if (rules.items.length === 0) throw new RuleError("an assignment needs at least one item");
  const seen = new Set<string>();
  for (const item of rules.items) {
    if (!(item.weight > 0 && Number.isFinite(item.weight))) throw new RuleError(`the weight of ${item.itemId} must be a positive number`);
    const k = itemKey(item.kind, item.itemId);
    if (seen.has(k)) throw new RuleError(`${item.itemId} is listed twice`);
    seen.add(k);
  }
}

/** The due time of one item for a student: an item extension wins over a whole-assignment one. */
export function effectiveDue(rules: Pick<AssignmentRules, "dueAt">, extensions: readonly ExtensionRecord[], kind: ItemKind, itemId: string): { dueAt: Date; extended: boolean } {
  const forItem = extensions.find((e) => e.kind === kind && e.itemId === itemId);
  const whole = extensions.find((e) => e.itemId === null);
  const ext = forItem ?? whole;
  return ext === undefined ? { dueAt: rules.dueAt, extended: false } : { dueAt: ext.dueAt, extended: true };
}

/** The hard close for a due time: an extension past the close moves the close out to it. */
export function effectiveClose(rules: Pick<AssignmentRules, "closesAt">, dueAt: Date): Date | null {
  if (rules.closesAt === null) return null;
  return rules.closesAt.getTime() >= dueAt.getTime() ? rules.closesAt : dueAt;
}

/** Whole calendar days late in the zone (0 when received <= due). */
export function daysLate(dueAt: Date, receivedAt: Date, timeZone: string): number {
  if (receivedAt.getTime() <= dueAt.getTime()) return 0;
  const due = DateTime.fromJSDate(dueAt, { zone: timeZone });
  const at = receivedAt.getTime();
  // Bounded: an estimate from the elapsed time, then at most a step or two to correct for DST.
  let n = Math.max(1, Math.floor((at - dueAt.getTime()) / 86_400_000) - 1);
  while (due.plus({ days: n }).toMillis() < at) n++;
  while (n > 1 && due.plus({ days: n - 1 }).toMillis() >= at) n--;
  return n;
}

export function lateFactor(policy: LatePolicy, days: number): number {
  if (days <= 0 || policy.kind === "none") return 1;
  return Math.max(policy.floorPercent, 100 - policy.percentPerDay * days) / 100;
}

/** One student's score for one assignment. */
export function scoreAssignment(
  rules: AssignmentRules,
  history: { attempts: readonly AttemptRecord[]; extensions?: readonly ExtensionRecord[]; overrides?: readonly OverrideRecord[] },
): AssignmentScore {
  checkRules(rules);
  const extensions = history.extensions ?? [];
  const overrides = new Map((history.overrides ?? []).map((o) => [itemKey(o.kind, o.itemId), o]));
  const byItem = new Map<string, AttemptRecord[]>();
  for (const a of history.attempts) {
    const k = itemKey(a.kind, a.itemId);
    const list = byItem.get(k);
    if (list === undefined) byItem.set(k, [a]);
    else list.push(a);
  }
  const items = rules.items.map((item): ItemScore => {
    const { dueAt, extended } = effectiveDue(rules, extensions, item.kind, item.itemId);
    const close = effectiveClose(rules, dueAt);
    // Sorted by receipt (then id) so that ties go to the earliest whatever order the history came in.
    const attempts = (byItem.get(itemKey(item.kind, item.itemId)) ?? [])
      .filter((a) => a.counts)
      .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const inWindow = (a: AttemptRecord) => a.receivedAt.getTime() >= rules.opensAt.getTime() && (close === null || a.receivedAt.getTime() <= close.getTime());
    const counted = attempts.filter(inWindow);
    let best: { a: AttemptRecord; days: number; factor: number; value: number } | null = null;
    for (const a of counted) {
      if (a.score === null) continue;
      const days = daysLate(dueAt, a.receivedAt, rules.timeZone);
      const factor = lateFactor(rules.latePolicy, days);
      const value = a.score * factor;
      if (best === null || value > best.value) best = { a, days, factor, value };
    }
    const waiting = counted.filter((a) => a.score === null).length;
    const override = overrides.get(itemKey(item.kind, item.itemId)) ?? null;
    const status: ItemStatus = best !== null ? (best.days > 0 ? "late" : "on_time") : waiting > 0 ? "pending" : "missing";
    const policyScore = best?.value ?? 0;
    return {
      kind: item.kind,
      itemId: item.itemId,
      weight: item.weight,
      dueAt,
      extended,
      status,
      bestAttemptId: best?.a.id ?? null,
      bestReceivedAt: best?.a.receivedAt ?? null,
      rawScore: best?.a.score ?? null,
      daysLate: best?.days ?? 0,
      factor: best?.factor ?? 1,
      policyScore,
      override,
      score: override?.score ?? policyScore,
      counted: counted.length,
      notCounted: attempts.length - counted.length,
      waiting,
    };
  });
  const weight = items.reduce((s, i) => s + i.weight, 0);
  const total = items.reduce((s, i) => s + i.weight * i.score, 0) / weight;
  return { items, total, extended: items.some((i) => i.extended) };
}

export type AssignmentPhase = "not_open" | "open" | "late" | "closed";

/**
 * Where a student stands at `now` for a due time (their extension's when they have one):
 * not open yet, open (before due), late (after due, still accepted), closed (after the hard close).
 */
export function assignmentPhase(rules: Pick<AssignmentRules, "opensAt" | "closesAt">, dueAt: Date, now: Date): AssignmentPhase {
  const t = now.getTime();
  if (t < rules.opensAt.getTime()) return "not_open";
  if (t <= dueAt.getTime()) return "open";
  const close = effectiveClose(rules, dueAt);
  return close !== null && t > close.getTime() ? "closed" : "late";
}

// ---------------------------------------------------------------------------------------------
// Time zones: conversions through Luxon only (no offset arithmetic of our own).

export function isValidZone(zone: string): boolean {
  return zone.length > 0 && zone.length <= 64 && IANAZone.isValidZone(zone);
}

export class LocalTimeError extends Error {}

/**
 * A wall-clock time typed in a zone ("2026-10-25T02:30", as an <input type="datetime-local"> sends it)
 * as the instant it names. A time skipped by a DST change does not exist and is refused; a time that
 * occurs twice (the autumn change) is the second of the two, in standard time (Luxon's choice, pinned
 * by a test; for a deadline it is the more generous one).
 */
export function localToUtc(local: string, zone: string): Date {
  if (!isValidZone(zone)) throw new LocalTimeError(`unknown time zone "${zone}"`);
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?$/.exec(local);
  if (m === null) throw new LocalTimeError(`"${local.slice(0, 40)}" is not a date and time (YYYY-MM-DDTHH:mm)`);
  const dt = DateTime.fromISO(local, { zone });
  if (!dt.isValid) throw new LocalTimeError(`"${local}" is not a valid date and time`);
  if (dt.toFormat(m[3] === undefined ? "yyyy-MM-dd'T'HH:mm" : "yyyy-MM-dd'T'HH:mm:ss") !== local) {
    throw new LocalTimeError(`${local} does not exist in ${zone} (the clocks skip it when daylight saving time starts)`);
  }
  return dt.toJSDate();
}

/** The instant as the wall-clock value of an <input type="datetime-local"> in the zone. */
export function utcToLocalInput(at: Date, zone: string): string {
  const dt = DateTime.fromJSDate(at, { zone });
  // Seconds only when there are some, so that editing a due time such as 12:00:30 keeps it.
  return dt.toFormat(dt.second === 0 ? "yyyy-MM-dd'T'HH:mm" : "yyyy-MM-dd'T'HH:mm:ss");
}

/** "2026-10-25 12:00 CET" style text of an instant in a zone (24-hour clock, the zone's abbreviation). */
export function formatInZone(at: Date, zone: string, lang: "ja" | "en"): string {
  const dt = DateTime.fromJSDate(at, { zone }).setLocale(lang === "ja" ? "ja-JP" : "en-GB");
  return `${dt.toFormat("yyyy-MM-dd (ccc) HH:mm")} ${dt.offsetNameShort ?? dt.toFormat("ZZ")}`;
}
