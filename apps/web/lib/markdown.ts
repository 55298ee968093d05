import katex from "katex";
import { Marked, type TokenizerAndRendererExtension } from "marked";

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** `$$...$$` (display) and `$...$` (inline) rendered by KaTeX on the server; its CSS and fonts are bundled. */
const math: TokenizerAndRendererExtension = {
  name: "math",
  level: "inline",
  start(src) {
    const i = src.indexOf("$");
    return i < 0 ? undefined : i;
  },
  tokenizer(src) {
    const m = /^\$\$([\s\S]+?)\$\$|^\$([^$\n]+?)\$/.exec(src);
    if (m === null) return undefined;
    return { type: "math", raw: m[0], text: (m[1] ?? m[2] ?? "").trim(), display: m[1] !== undefined };
  },
  renderer(token) {
    // A formula KaTeX cannot parse is shown as its source, never as an error page.
    return katex.renderToString(String(token.text), { displayMode: token.display === true, throwOnError: false, output: "htmlAndMathml" });
  },
};

/**
 * Statements are our own Markdown files, rendered on the server. Raw HTML inside them is shown as
 * text, never interpreted (defence in depth: nothing in a statement can run in a student's browser).
 */
const md = new Marked({
  gfm: true,
  extensions: [math],
  renderer: {
    html({ text }) {
      return escape(text);
    },
  },
});

export function renderMarkdown(source: string): string {
  return md.parse(source, { async: false });
}
