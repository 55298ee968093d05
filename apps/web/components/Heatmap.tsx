import { type Lang, t } from "@/lib/i18n.ts";
import { FALLBACK_TOLERANCE, MISSING, type Tolerance, diffColour, weightColour } from "@/lib/heatmap-scale.ts";

type Matrix = ReadonlyArray<ReadonlyArray<number | null>>;

const CELL = 22;
/** Room for the tick numbers left of the rows and above the columns. */
const LEFT = 22;
const TOP = 16;

function Grid({ m, colour, label, title }: { m: Matrix; colour: (v: number | null, i: number, j: number) => string; label: string; title: (v: number | null, i: number, j: number) => string }) {
  const rows = m.length;
  const cols = Math.max(0, ...m.map((r) => r.length));
  const w = LEFT + cols * CELL + 2;
  const h = TOP + rows * CELL + 2;
  return (
    <svg role="img" aria-label={label} width={w} height={h} viewBox={`0 0 ${w} ${h}`} className="heatmap">
      {Array.from({ length: cols }, (_, j) => (
        <text key={`c${j}`} x={LEFT + 1 + j * CELL + CELL / 2} y={TOP - 4} fontSize="10" textAnchor="middle" fill="#444">
          {j}
        </text>
      ))}
      {Array.from({ length: rows }, (_, i) => (
        <text key={`r${i}`} x={LEFT - 4} y={TOP + 1 + i * CELL + CELL / 2 + 3} fontSize="10" textAnchor="end" fill="#444">
          {i}
        </text>
      ))}
      {m.map((row, i) =>
        row.map((v, j) => (
          <rect key={`${i}-${j}`} x={LEFT + 1 + j * CELL} y={TOP + 1 + i * CELL} width={CELL - 1} height={CELL - 1} fill={colour(v, i, j)} stroke="#e4e4e4" strokeWidth="0.5">
            <title>{title(v, i, j)}</title>
          </rect>
        )),
      )}
    </svg>
  );
}

function Axes({ lang, children }: { lang: Lang; children: React.ReactNode }) {
  return (
    <div className="heatmap-axes">
      <span className="axis-x">{t(lang, "heatmapAxisKeys")} →</span>
      <div className="axis-body">
        <span className="axis-y">{t(lang, "heatmapAxisQueries")} ↓</span>
        {children}
      </div>
    </div>
  );
}

function Legend({ stops, labels, testId }: { stops: string[]; labels: [string, string, string]; testId: string }) {
  return (
    <div className="heatmap-legend" data-testid={testId}>
      <span className="legend-bar" style={{ background: `linear-gradient(to right, ${stops.join(", ")})` }} aria-hidden="true" />
      <span className="legend-labels">
        <span>{labels[0]}</span>
        <span>{labels[1]}</span>
        <span>{labels[2]}</span>
      </span>
    </div>
  );
}

/**
 * The student's attention weights next to the reference's, and where they differ (inline SVG), each
 * with axis labels (query positions down, key positions across) and a colour legend. The difference
 * is scaled to the exercise's tolerance: inside it is white.
 */
export function Heatmaps({ expected, actual, label, lang, tolerance }: { expected: Matrix; actual: Matrix; label: string; lang: Lang; tolerance?: Tolerance }) {
  const tol = tolerance ?? FALLBACK_TOLERANCE;
  const diff = expected.map((row, i) =>
    row.map((e, j) => {
      const a = actual[i]?.[j];
      return a === null || a === undefined || e === null ? null : a - e;
    }),
  );
  const fmt = (v: number | null) => (v === null ? "—" : v.toFixed(4));
  const cellTitle = (v: number | null, i: number, j: number) => `${t(lang, "heatmapCell", { i, j })}: ${fmt(v)}`;
  const tolText = `${tol.atol.toExponential(0)} + ${tol.rtol.toExponential(0)}·|e|`;
  const weightLegend = <Legend stops={[weightColour(0), weightColour(0.5), weightColour(1)]} labels={["0", "0.5", "1"]} testId="legend-weights" />;
  return (
    <div>
      <div className="hint">{label}</div>
      <div className="heatmaps" data-testid="heatmaps">
        <figure>
          <Axes lang={lang}>
            <Grid m={actual} colour={weightColour} label={t(lang, "heatmapYours")} title={cellTitle} />
          </Axes>
          <figcaption>{t(lang, "heatmapYours")}</figcaption>
          {weightLegend}
        </figure>
        <figure>
          <Axes lang={lang}>
            <Grid m={expected} colour={weightColour} label={t(lang, "heatmapReference")} title={cellTitle} />
          </Axes>
          <figcaption>{t(lang, "heatmapReference")}</figcaption>
          {weightLegend}
        </figure>
        <figure>
          <Axes lang={lang}>
            <Grid
              m={diff}
              colour={(d, i, j) => diffColour(d, expected[i]?.[j] ?? null, tol)}
              label={t(lang, "heatmapDiff")}
              title={(d, i, j) => `${t(lang, "heatmapCell", { i, j })}: ${d === null ? "—" : d.toExponential(2)}`}
            />
          </Axes>
          <figcaption>{t(lang, "heatmapDiff")}</figcaption>
          <Legend
            stops={["rgb(40,40,255)", "rgb(255,255,255)", "rgb(255,255,255)", "rgb(255,40,40)"]}
            labels={[t(lang, "heatmapTooLow"), t(lang, "heatmapWithin", { tol: tolText }), t(lang, "heatmapTooHigh")]}
            testId="legend-diff"
          />
        </figure>
      </div>
      <p className="hint">
        {t(lang, "heatmapCaption")} <span style={{ background: MISSING, padding: "0 0.4em" }}>&nbsp;</span> {t(lang, "heatmapMissing")}
      </p>
    </div>
  );
}
