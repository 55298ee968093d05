import { KitReference, type KitSection } from "@/components/KitReference.tsx";
import api from "@/lib/kit/api.json";
import { DOCS, GROUPS, PYTORCH_TO_KIT } from "@/lib/kit/docs.ts";
import { getT } from "@/lib/session.ts";

export const dynamic = "force-dynamic";

interface Entry {
  id: string;
  owner: string;
  name: string;
  group: string;
  kind: string;
  signatures: string[];
  functionFormOf: string | null;
}

/** How a student writes the member. */
function callOf(e: Entry): string {
  if (e.kind === "constructor") return `new ${e.owner}(…)`;
  if (e.owner === "Tensor" || e.owner.startsWith("nn.") && e.owner !== "nn.init" || e.owner === "torch.Generator") {
    const self = e.owner === "Tensor" ? "x" : e.owner === "torch.Generator" ? "g" : "layer";
    return e.kind === "method" ? `${self}.${e.name}(…)` : `${self}.${e.name}`;
  }
  return e.kind === "function" ? `${e.owner}.${e.name}(…)` : `${e.owner}.${e.name}`;
}

/** The kit's API, read from its types, with what each member does, in the reader's language. */
export default async function KitPage() {
  const { lang, t } = await getT();
  const pick = (w: readonly [string, string]) => (lang === "ja" ? w[0] : w[1]);
  const entries = api as Entry[];
  const sections: KitSection[] = Object.entries(GROUPS)
    .map(([id, g]) => ({
      id,
      title: pick(g.title),
      intro: pick(g.intro),
      rows: entries
        .filter((e) => e.group === id)
        .map((e) => {
          const words = DOCS[e.id];
          const text =
            e.functionFormOf !== null
              ? t("kitFunctionForm", { method: `x.${e.functionFormOf.slice("Tensor.".length)}(…)` })
              : words === undefined
                ? ""
                : pick(words);
          return { id: e.id, call: callOf(e), signatures: e.signatures, text };
        }),
    }))
    .filter((s) => s.rows.length > 0);
  const table = PYTORCH_TO_KIT.map((r) => ({ pytorch: r.pytorch, kit: r.kit, note: r.note === undefined ? null : pick(r.note) }));
  return (
    <>
      <h1>{t("kitTitle")}</h1>
      <p>{t("kitIntro")}</p>
      <pre className="code">{`import { torch, F, nn, type Tensor } from "@tfm/kit";`}</pre>
      <KitReference
        sections={sections}
        table={table}
        labels={{
          search: t("kitSearch"),
          searchHint: t("kitSearchHint"),
          none: t("kitNone"),
          count: t("kitCount"),
          tableTitle: t("kitTableTitle"),
          pytorch: "PyTorch",
          kit: t("kitColumnKit"),
        }}
      />
    </>
  );
}
