import spec from "./spec.ts";
import { compareHeatmap } from "./spec.ts";
import ref from "../../reference/src/exercises/attention-heatmap.ts";
import { Rng, deriveSeed } from "@tfm/spec";
for (let rep = 0; rep < 3; rep++) {
  let total = 0;
  for (const c of spec.cases) {
    const args = c.make({ rng: new Rng(deriveSeed(7, c.id)) });
    const svg = await ref.expected(args);
    const t = performance.now();
    const v = compareHeatmap(null, svg, args);
    const dt = performance.now() - t;
    total += dt;
    if (rep === 2) console.log(c.id, v.ok, dt.toFixed(2));
  }
  console.log("total", total.toFixed(1));
}
