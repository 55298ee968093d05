import type { WireValue } from "@tfm/contract";
import { type CaseDef, type Rng, defineExercise, full, randn } from "@tfm/spec";

const name = (ja: string, en: string) => ({ ja, en });

const zeros = (b: number, t: number, d: number): WireValue[] => [full("float32", [b, t, d], 0)];
const random = (rng: Rng, b: number, t: number, d: number): WireValue[] => [randn(rng, [b, t, d])];

function hidden(id: string, ja: string, en: string, make: (rng: Rng) => WireValue[]): CaseDef {
  return { id, kind: "hidden", name: name(ja, en), make: ({ rng }) => make(rng) };
}

// Positions stay below 64: the float32 angle pos * 10000^(-2i/d) then carries an error under
// 64 * 2^-24 ~ 4e-6, inside the tolerance for every implementation that follows the formula.
const cases: CaseDef[] = [
  { id: "pe-zeros-d4", kind: "public", name: name("x = 0, T=3, d_model=4 (問題文の表)", "x = 0, T=3, d_model=4 (the statement's table)"), make: () => zeros(1, 3, 4) },
  { id: "pe-zeros-d16", kind: "public", name: name("x = 0, T=10, d_model=16", "x = 0, T=10, d_model=16"), make: () => zeros(1, 10, 16) },
  { id: "pe-random-batch", kind: "public", name: name("ランダムな x, B=3, T=7, d_model=8", "random x, B=3, T=7, d_model=8"), make: ({ rng }) => random(rng, 3, 7, 8) },
  { id: "pe-single-position", kind: "public", name: name("T=1 (位置 0 だけ)", "T=1 (position 0 only)"), make: ({ rng }) => random(rng, 2, 1, 6) },
  { id: "pe-d-not-power-of-two", kind: "public", name: name("d_model=12 (2 の累乗でない), T=20", "d_model=12 (not a power of two), T=20"), make: ({ rng }) => random(rng, 1, 20, 12) },
  { id: "pe-position-zero", kind: "pitfall", name: name("位置 0: 偶数次元は 0、奇数次元は 1", "position 0: even dims 0, odd dims 1"), make: () => zeros(1, 2, 6) },
  { id: "pe-odd-d-model", kind: "pitfall", name: name("奇数の d_model=7: 最後の次元 (偶数番目) は sin", "odd d_model = 7: the last dimension (an even index) is a sin"), make: () => zeros(1, 6, 7) },
  { id: "pe-pair-frequencies", kind: "pitfall", name: name("次元の組が同じ周波数を共有する (d_model=32, T=50)", "dimension pairs share a frequency (d_model=32, T=50)"), make: () => zeros(1, 50, 32) },
  hidden("pe-hidden-random-1", "ランダムな形状 1", "random shape 1", (rng) => random(rng, rng.int(1, 4), rng.int(1, 40), 2 * rng.int(1, 16))),
  hidden("pe-hidden-random-2", "ランダムな形状 2", "random shape 2", (rng) => random(rng, rng.int(1, 4), rng.int(1, 40), 2 * rng.int(1, 16))),
  hidden("pe-hidden-odd-d", "奇数の d_model", "odd d_model", (rng) => random(rng, 2, rng.int(2, 30), 2 * rng.int(1, 10) + 1)),
  hidden("pe-hidden-d2", "d_model=2", "d_model=2", (rng) => random(rng, 1, rng.int(2, 60), 2)),
  hidden("pe-hidden-d1", "d_model=1", "d_model=1", (rng) => random(rng, 2, rng.int(2, 20), 1)),
  hidden("pe-hidden-long", "T=63", "T=63", (rng) => zeros(1, 63, 2 * rng.int(4, 33))),
  hidden("pe-hidden-batch1", "B=1", "B=1", (rng) => random(rng, 1, rng.int(2, 30), 10)),
  hidden("pe-hidden-t1", "T=1", "T=1", (rng) => random(rng, rng.int(1, 5), 1, 2 * rng.int(1, 9))),
  hidden("pe-hidden-large-x", "値の大きな x", "large x values", (rng) => [randn(rng, [2, rng.int(2, 20), 14], 50)]),
  hidden("pe-hidden-wide", "d_model=64", "d_model=64", (rng) => zeros(rng.int(1, 3), rng.int(5, 40), 64)),
];

export default defineExercise({ cases });
