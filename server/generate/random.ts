/**
 * Deterministic randomness for generated data. One seeded stream (sfc32) for the
 * sequential plan, plus a stateless hash for cosmetic per-row values, so a value
 * depends only on (seed, row) and never on the order rows are written in.
 */

/** Turn any seed (number or text) into a 32-bit integer. */
export function seedToInt(seed: number | string): number {
  if (typeof seed === 'number' && Number.isInteger(seed)) return seed >>> 0;
  const s = String(seed);
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A 32-bit mix (splitmix32 finaliser): good avalanche, cheap. */
export function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Uniform in [0, 1) from (seed, stream, row), independent of call order. */
export function hashUnit(seed: number, stream: number, row: number): number {
  return mix32(mix32(seed ^ Math.imul(stream, 0x27d4eb2f)) ^ row) / 4294967296;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = this.b = this.c = this.d = 0;
    this.reseed(seed);
  }

  /** Restart the stream from a new seed (cheaper than a new instance in hot loops). */
  reseed(seed: number): this {
    this.a = mix32(seed);
    this.b = mix32(this.a ^ 0x6a09e667);
    this.c = mix32(this.b ^ 0xbb67ae85);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next();
    return this;
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** Precomputed weighted choice: `pick(u)` maps a uniform draw to an item. */
export class Weighted<T> {
  private readonly cumulative: number[] = [];
  private readonly items: T[] = [];

  constructor(choices: readonly (readonly [T, number])[]) {
    let total = 0;
    for (const [item, weight] of choices) {
      total += weight;
      this.items.push(item);
      this.cumulative.push(total);
    }
    for (let i = 0; i < this.cumulative.length; i++) this.cumulative[i]! /= total;
  }

  pick(u: number): T {
    const cum = this.cumulative;
    let i = 0;
    while (i < cum.length - 1 && u >= cum[i]!) i++;
    return this.items[i]!;
  }
}
