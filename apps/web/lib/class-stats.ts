import { type ClassDashboard, type Database } from "@tfm/db";
import { Prisma } from "@tfm/db/generated/sqlite/client";
import { z } from "zod";

const DayRow = z.object({ day: z.string(), n: z.union([z.bigint(), z.number()]).transform(Number) });

/**
 * Submissions per day in Japan time (Asia/Tokyo, UTC+9 with no daylight saving: the course's clock, as
 * every date the portal shows) over the last `days` days for the class's students (one grouped query).
 */
export async function submissionTimeline(database: Database, classId: string, days = 30, now = new Date()): Promise<{ day: string; count: number }[]> {
  const since = new Date(now.getTime() - days * 86_400_000);
  const rows = await database.run("reading the submission timeline", (p) =>
    database.provider === "postgresql"
      ? p.$queryRaw(Prisma.sql`
          SELECT to_char((s.received_at AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD') AS day, COUNT(*) AS n
            FROM submissions AS s JOIN enrolments AS e ON e.user_id = s.user_id AND e.class_id = ${classId}
           WHERE s.received_at >= ${since}
           GROUP BY 1 ORDER BY 1`)
      : // SQLite keeps DateTime as ISO 8601 text in UTC; date() reads it and shifts it by 9 hours.
        p.$queryRaw(Prisma.sql`
          SELECT date(s.received_at, '+9 hours') AS day, COUNT(*) AS n
            FROM submissions AS s JOIN enrolments AS e ON e.user_id = s.user_id AND e.class_id = ${classId}
           WHERE s.received_at >= ${since.toISOString()}
           GROUP BY 1 ORDER BY 1`),
  );
  return z.array(DayRow).parse(rows).map((r) => ({ day: r.day, count: r.n }));
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? null) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Median counted attempts per exercise over the learners who attempted it. */
export function medianAttempts(d: ClassDashboard): Map<string, number | null> {
  return new Map(d.exercises.map((e) => [e.id, median(d.learners.flatMap((l) => { const c = l.cells[e.id]; return c === undefined || c.attempts === 0 ? [] : [c.attempts]; }))]));
}

/**
 * The timeline with every day shown, empty days at 0, from its first day with submissions to today
 * (Japan time): a quiet day is information too, and skipping it made gaps invisible.
 */
export function withEmptyDays(timeline: readonly { day: string; count: number }[], now = new Date()): { day: string; count: number }[] {
  const first = timeline[0];
  if (first === undefined) return [];
  const byDay = new Map(timeline.map((x) => [x.day, x.count]));
  const today = new Date(now.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);
  const last = timeline.reduce((a, x) => (x.day > a ? x.day : a), today);
  const out: { day: string; count: number }[] = [];
  for (let d = new Date(`${first.day}T00:00:00Z`); out.length < 400; d = new Date(d.getTime() + 86_400_000)) {
    const day = d.toISOString().slice(0, 10);
    out.push({ day, count: byDay.get(day) ?? 0 });
    if (day >= last) break;
  }
  return out;
}
