import { z } from "zod";

const slug = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export const ExerciseId = z.string().regex(slug, "an exercise id is lowercase words joined by '-'");
export const PitfallId = z.string().regex(slug, "a pitfall id is lowercase words joined by '-'");
export const ChecklistItemId = z.string().regex(slug, "a checklist id is lowercase words joined by '-'");
export const TestId = z.string().regex(slug, "a test id is lowercase words joined by '-'");
export const QuizId = z.string().regex(slug, "a quiz id is lowercase words joined by '-'");
