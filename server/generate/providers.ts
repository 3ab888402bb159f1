/**
 * Who works in a generated clinic: provider names, specialties, weekly patterns,
 * hours and behaviour (no-show and cancellation rates). The demo clinic has a
 * fixed specialty mix; the volume generator scales the same templates.
 */
import type { Faker } from '@faker-js/faker';
import { SPECIALTIES } from '../../seeds/data/specialties.js';
import type { Random } from './random.js';

export interface ProviderSpec {
  name: string;
  /** Index into SPECIALTIES. */
  specialty: number;
  /** Bit per weekday the provider works, bit 0 = Sunday. */
  weekdays: number;
  /** Working hours and lunch as minutes after local midnight. */
  start: number;
  end: number;
  lunchStart: number;
  lunchEnd: number;
  /** Share of appointments whose outcome is known that end as no-shows. */
  noShowRate: number;
  /** Share of past appointments that were cancelled. */
  cancelRate: number;
  /** Share of grid slots that get booked. */
  fillRate: number;
}

const h = (hours: number, minutes = 0) => hours * 60 + minutes;
const MON_FRI = 0b0111110;
const PART_TIME = [0b0101010 /* Mon, Wed, Fri */, 0b0010100 /* Tue, Thu */, 0b0011110 /* Mon-Thu */];
const HOURS = [
  { start: h(8), end: h(17), lunchStart: h(12), lunchEnd: h(13) },
  { start: h(7, 30), end: h(16), lunchStart: h(11, 30), lunchEnd: h(12, 15) },
  { start: h(9), end: h(18), lunchStart: h(13), lunchEnd: h(14) },
];

const specialtyIndex = (name: string) => SPECIALTIES.findIndex((s) => s.name === name);

/** The demo clinic's mix: 20 providers, primary care heavy, as in a mid-size US group practice. */
const DEMO_MIX: readonly [string, number][] = [
  ['Family Medicine', 5],
  ['Internal Medicine', 3],
  ['Pediatrics', 4],
  ['Cardiology', 3],
  ['Dermatology', 2],
  ['Endocrinology', 1],
  ['Orthopedics', 2],
];

function providerName(faker: Faker): string {
  return `${faker.person.firstName()} ${faker.person.lastName()}, MD`;
}

/**
 * `count` providers over the demo specialty mix (scaled), with no-show rates
 * spread evenly from 3% to 18% and shuffled, so every run shows clear differences.
 */
export function buildProviders(count: number, rng: Random, faker: Faker, fill: readonly [number, number] = [0.7, 0.9]): ProviderSpec[] {
  const total = DEMO_MIX.reduce((s, [, n]) => s + n, 0);
  const specialties: number[] = [];
  for (let i = 0; specialties.length < count; i++) {
    // Walk the mix in proportion: provider i gets the specialty whose share covers i/count.
    const target = ((i % count) + 0.5) / count;
    let acc = 0;
    for (const [name, n] of DEMO_MIX) {
      acc += n / total;
      if (target < acc || name === DEMO_MIX[DEMO_MIX.length - 1]![0]) {
        specialties.push(specialtyIndex(name));
        break;
      }
    }
  }
  const noShowRates = rng.shuffle(Array.from({ length: count }, (_, i) => 0.03 + (count > 1 ? (0.15 * i) / (count - 1) : 0.07)));
  return specialties.map((specialty, i) => {
    const partTime = rng.chance(0.25);
    const hours = rng.pick(HOURS);
    return {
      name: providerName(faker),
      specialty,
      weekdays: partTime ? rng.pick(PART_TIME) : MON_FRI,
      ...hours,
      noShowRate: Math.round(noShowRates[i]! * 1000) / 1000,
      cancelRate: 0.06 + rng.next() * 0.06,
      fillRate: fill[0] + rng.next() * (fill[1] - fill[0]),
    };
  });
}
