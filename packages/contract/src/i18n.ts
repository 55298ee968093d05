import { z } from "zod";

export const LANGS = ["ja", "en"] as const;
export const Lang = z.enum(LANGS).describe("Language of human-readable text");
export type Lang = z.infer<typeof Lang>;

/** Every text a person reads exists in both languages; the two differ only in prose. */
export const Localized = z
  .object({
    ja: z.string().min(1).describe("Japanese text"),
    en: z.string().min(1).describe("English text"),
  })
  .strict();
export type Localized = z.infer<typeof Localized>;

export function localized(ja: string, en: string): Localized {
  return { ja, en };
}

export function pick(text: Localized, lang: Lang): string {
  return text[lang];
}
