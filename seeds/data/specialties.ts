/**
 * Reference data: how each specialty works in the generated clinic. Visit lengths
 * follow typical US scheduling templates (short sick visits in primary care and
 * dermatology, long new-patient slots in cardiology); diagnoses are weighted so
 * common conditions dominate, as they do in real encounter data.
 */
import type { Icd10Key } from './icd10.js';

export interface SpecialtyProfile {
  name: string;
  /** [minutes, weight] choices for one appointment; every value is 5..480. */
  durations: readonly (readonly [number, number])[];
  /** [ICD-10-CM key, weight] for a visit's diagnoses. */
  diagnoses: readonly (readonly [Icd10Key, number])[];
  /** Sees children (patients under 18) only; every other specialty sees adults. */
  pediatric: boolean;
}

export const SPECIALTIES: readonly SpecialtyProfile[] = [
  {
    name: 'Family Medicine',
    durations: [[15, 4], [20, 3], [30, 3]],
    diagnoses: [
      ['I10', 10], ['E119', 6], ['E785', 6], ['J069', 8], ['Z0000', 6], ['Z0001', 3], ['J029', 3], ['J0190', 3], ['J209', 3],
      ['M5450', 4], ['K219', 3], ['F411', 3], ['F32A', 3], ['N390', 3], ['E669', 2], ['E039', 2], ['Z23', 3], ['R059', 2],
      ['G4700', 1], ['R519', 1], ['E559', 1], ['J45909', 2],
    ],
    pediatric: false,
  },
  {
    name: 'Internal Medicine',
    durations: [[20, 5], [30, 4], [45, 1]],
    diagnoses: [
      ['I10', 12], ['E119', 8], ['E1165', 3], ['E785', 7], ['E7800', 2], ['J449', 3], ['Z0000', 5], ['Z0001', 3], ['K219', 3],
      ['D649', 2], ['E039', 3], ['E559', 2], ['E669', 3], ['G43909', 1], ['F32A', 2], ['Z713', 1], ['N390', 2],
    ],
    pediatric: false,
  },
  {
    name: 'Pediatrics',
    durations: [[15, 5], [20, 3], [30, 2]],
    diagnoses: [
      ['Z00129', 12], ['Z00121', 3], ['H6690', 6], ['J069', 8], ['J020', 3], ['J219', 2], ['B084', 1], ['L2083', 2],
      ['R509', 3], ['F900', 1], ['F902', 1], ['A084', 2], ['H109', 2], ['Z23', 4], ['J45909', 2],
    ],
    pediatric: true,
  },
  {
    name: 'Cardiology',
    durations: [[30, 5], [45, 3], [60, 2]],
    diagnoses: [
      ['I10', 6], ['I2510', 6], ['I4891', 5], ['I509', 4], ['I209', 2], ['R002', 3], ['R079', 4], ['I350', 1], ['I499', 2],
      ['R55', 1], ['E785', 3],
    ],
    pediatric: false,
  },
  {
    name: 'Dermatology',
    durations: [[15, 6], [30, 4]],
    diagnoses: [
      ['L700', 6], ['L400', 3], ['L309', 3], ['L209', 3], ['L570', 4], ['L821', 3], ['B351', 2], ['L719', 2], ['D229', 4], ['L219', 2],
    ],
    pediatric: false,
  },
  {
    name: 'Endocrinology',
    durations: [[30, 6], [45, 4]],
    diagnoses: [['E119', 8], ['E1165', 5], ['E039', 5], ['E0590', 2], ['E282', 2], ['E213', 1], ['M810', 2], ['E559', 2], ['E669', 2]],
    pediatric: false,
  },
  {
    name: 'Orthopedics',
    durations: [[20, 5], [30, 4], [60, 1]],
    diagnoses: [
      ['M1711', 4], ['M170', 3], ['M75101', 2], ['M25511', 3], ['M25561', 4], ['S93401A', 3], ['M7710', 2], ['G5600', 2], ['M5450', 4], ['M797', 1],
    ],
    pediatric: false,
  },
];
