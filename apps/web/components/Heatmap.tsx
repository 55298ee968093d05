import { type Lang, t } from "@/lib/i18n.ts";

type Matrix = ReadonlyArray<ReadonlyArray<number | null>>;

const CELL = 22;

function weightColour(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "#bbbbbb";
  const x = Math.max(0, Math.min(1, v));
  // white -> dark blue; dark enough at 1 for contrast against the white page
  const r = Math.round(255 - x * (255 - 11));
  const g = Math.round(255 - x * (255 - 48));
  const b = Math.round(255 - x * (255 - 110));
  return `rgb(${r},${g},${b})`;
}

function diffColour(d: number | null, scale: number): string {
  if (d === null || !Number.isFinite(d)) return "#bbbbbb";
  const x = scale === 0 ? 0 : Math.max(-1, Math.min(1, d / scale));
  const k = Math.abs(x);
  return x >= 0 ? `rgb(255,${Math.round(255 - k * 200)},${Math.round(255 - k * 200)})` : `rgb(${Math.round(255 - k * 200)},${Math.round(255 - k * 200)},255)`;
}

function Grid({ m, colour, label }: { m: Matrix; colour: (v: number | null) => string; label: string }) {
  const rows = m.length;
  const cols = Math.max(0, ...m.map((r) => r.length));
  return (
    <svg role="img" aria-label={label} width={cols * CELL + 2} height={rows * CELL + 2} viewBox={`0 0 ${cols * CELL + 2} ${rows * CELL + 2}`}>
      {m.map((row, i) =>
        row.map((v, j) => (
          <rect key={`${i}-${j}`} x={1 + j * CELL} y={1 + i * CELL} width={CELL - 1} height={CELL - 1} fill={colour(v)}>
            <title>{`[${i}, ${j}] ${v === null ? "—" : v.toFixed(4)}`}</title>
          </rect>
        )),
      )}
    </svg>
  );
}

/** The student's attention weights next to the reference's, and where they differ (inline SVG). */
export function Heatmaps({ expected, actual, label, lang }: { expected: Matrix; actual: Matrix; label: string; lang: Lang }) {
  const diff = expected.map((row, i) => row.map((e, j) => {
    const a = actual[i]?.[j];
    return a === null || a === undefined || e === null ? null : a - e;
  }));
  const scale = Math.max(1e-9, ...diff.flat().map((d) => (d === null ? 0 : Math.abs(d))));
  return (
    <div>
      <div className="hint">{label}</div>
      <div className="heatmaps" data-testid="heatmaps">
        <figure>
          <Grid m={actual} colour={weightColour} label={t(lang, "heatmapYours")} />
          <figcaption>{t(lang, "heatmapYours")}</figcaption>
        </figure>
        <figure>
          <Grid m={expected} colour={weightColour} label={t(lang, "heatmapReference")} />
          <figcaption>{t(lang, "heatmapReference")}</figcaption>
        </figure>
        <figure>
          <Grid m={diff} colour={(d) => diffColour(d, scale)} label={t(lang, "heatmapDiff")} />
          <figcaption>
            {t(lang, "heatmapDiff")} (±{scale.toPrecision(2)})
          </figcaption>
        </figure>
      </div>
      <p className="hint">{t(lang, "heatmapCaption")}</p>
    </div>
  );
}
