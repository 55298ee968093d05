"use client";
import { useMemo, useState } from "react";

export interface KitRow {
  id: string;
  call: string;
  signatures: string[];
  text: string;
}
export interface KitSection {
  id: string;
  title: string;
  intro: string;
  rows: KitRow[];
}
export interface PyTorchRow {
  pytorch: string;
  kit: string;
  note: string | null;
}

/** The kit reference with a search box: a row stays when its name, signature or text contains every word typed. */
export function KitReference({
  sections,
  table,
  labels,
}: {
  sections: KitSection[];
  table: PyTorchRow[];
  labels: { search: string; searchHint: string; none: string; count: string; tableTitle: string; pytorch: string; kit: string };
}) {
  const [query, setQuery] = useState("");
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== "");
  const matches = (hay: string) => words.every((w) => hay.toLowerCase().includes(w));
  const shown = useMemo(
    () => sections.map((s) => ({ ...s, rows: s.rows.filter((r) => matches(`${r.call} ${r.signatures.join(" ")} ${r.text} ${s.title}`)) })).filter((s) => s.rows.length > 0),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [sections, query],
  );
  const rows = table.filter((r) => matches(`${r.pytorch} ${r.kit} ${r.note ?? ""}`));
  const total = shown.reduce((n, s) => n + s.rows.length, 0);
  return (
    <>
      <label htmlFor="kit-search">{labels.search}</label>
      <input id="kit-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="maskedFill, transpose, softmax …" aria-describedby="kit-search-hint" autoComplete="off" />
      <p id="kit-search-hint" className="hint" aria-live="polite">
        {labels.searchHint} {labels.count.replace("{n}", String(total + rows.length))}
      </p>
      {rows.length > 0 && (
        <section aria-labelledby="pytorch-table">
          <h2 id="pytorch-table">{labels.tableTitle}</h2>
          <div className="scroll-x">
            <table>
              <thead>
                <tr>
                  <th scope="col">{labels.pytorch}</th>
                  <th scope="col">{labels.kit}</th>
                  <th scope="col" />
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.pytorch}>
                    <td>
                      <code>{r.pytorch}</code>
                    </td>
                    <td>
                      <code>{r.kit}</code>
                    </td>
                    <td className="hint">{r.note}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {shown.map((s) => (
        <section key={s.id} aria-labelledby={`kit-${s.id}`}>
          <h2 id={`kit-${s.id}`}>{s.title}</h2>
          <p className="hint">{s.intro}</p>
          <dl className="kit-list">
            {s.rows.map((r) => (
              <div key={r.id} id={r.id} className="kit-row">
                <dt>
                  <code>{r.call}</code>
                </dt>
                <dd>
                  {r.text}
                  {r.signatures.map((sig) => (
                    <pre key={sig} className="kit-sig">
                      {sig}
                    </pre>
                  ))}
                </dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
      {total + rows.length === 0 && <p>{labels.none}</p>}
    </>
  );
}
