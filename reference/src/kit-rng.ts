/**
 * The kit's published generator (packages/kit/src/random.ts, header comment), written again on
 * the host so that a reference can reproduce exactly what a student's seeded kit code draws:
 *
 *   seeding: the four xoshiro128** state words are the first four outputs of splitmix32 started
 *            at the uint32 seed (state += 0x9e3779b9; t = state ^ state >>> 16;
 *            t = imul(t, 0x21f0aaad); t ^= t >>> 15; t = imul(t, 0x735a2d97); t ^= t >>> 15),
 *            and an all-zero state becomes s0 = 1;
 *   step:    result = rotl(s1 * 5, 7) * 9; t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
 *            s2 ^= t; s3 = rotl(s3, 11);
 *   random(): (next() >>> 8) / 2^24, in [0, 1), exactly representable in float32.
 *
 * `Rng` in @tfm/spec is NOT this generator: its splitmix32 uses other mixing constants, so it
 * cannot reproduce `new torch.Generator().manualSeed(seed)`.
 */
export class KitGenerator {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let st = seed >>> 0;
    const splitmix = (): number => {
      st = (st + 0x9e3779b9) >>> 0;
      let t = st ^ (st >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      t ^= t >>> 15;
      return t >>> 0;
    };
    this.s0 = splitmix();
    this.s1 = splitmix();
    this.s2 = splitmix();
    this.s3 = splitmix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 random bits: what `torch.rand` stores for one element. */
  random(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** `torch.rand(shape, { generator: new torch.Generator().manualSeed(seed) })`, row-major. */
export function kitRand(seed: number, count: number): Float64Array {
  const g = new KitGenerator(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = g.random();
  return out;
}
