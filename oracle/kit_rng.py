"""The kit's seeded generator, written from its published description (packages/kit/src/random.ts,
header comment), independently of reference/src/kit-rng.ts:

  seeding: the four xoshiro128** state words are the first four outputs of splitmix32 started at
           the uint32 seed (state += 0x9e3779b9; t = state ^ state >> 16; t *= 0x21f0aaad;
           t ^= t >> 15; t *= 0x735a2d97; t ^= t >> 15, all mod 2^32); an all-zero state gets s0 = 1;
  step:    result = rotl(s1 * 5, 7) * 9; t = s1 << 9; s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
           s2 ^= t; s3 = rotl(s3, 11);
  random(): (next() >> 8) / 2^24.

PyTorch's own generator (Philox / mt19937) draws other numbers, so an oracle that must reproduce
`torch.rand(shape, generator=torch.Generator().manual_seed(seed))` as the kit defines it needs this.
"""

M32 = 0xFFFFFFFF


def _rotl(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & M32


class KitGenerator:
    def __init__(self, seed: int) -> None:
        st = seed & M32
        words = []
        for _ in range(4):
            st = (st + 0x9E3779B9) & M32
            t = st ^ (st >> 16)
            t = (t * 0x21F0AAAD) & M32
            t ^= t >> 15
            t = (t * 0x735A2D97) & M32
            t ^= t >> 15
            words.append(t)
        self.s = words
        if not any(self.s):
            self.s[0] = 1

    def next_u32(self) -> int:
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def random(self) -> float:
        return (self.next_u32() >> 8) / 16777216.0


def kit_rand(seed: int, count: int) -> list:
    """torch.rand(count, generator=manualSeed(seed)) as the kit draws it, row-major."""
    g = KitGenerator(seed)
    return [g.random() for _ in range(count)]


def kit_randperm(n: int, seed: int) -> list:
    """torch.randperm(n) after torch.manualSeed(seed), as the kit defines it: Fisher-Yates from
    the end with j = floor(random() * (i + 1))."""
    g = KitGenerator(seed)
    out = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(g.random() * (i + 1))
        out[i], out[j] = out[j], out[i]
    return out
