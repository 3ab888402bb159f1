/**
 * Reference data: the clinic formulary, real generic medications with a dosage
 * form and strength (as on a US label), a typical instruction, and how long a
 * course usually lasts (null: a maintenance drug, prescribed without an end date).
 * `for` lists the ICD-10-CM codes (seeds/data/icd10.ts keys) it is commonly
 * prescribed for, so generated prescriptions match the visit's diagnoses.
 */
import type { Icd10Key } from './icd10.js';

export interface FormularyEntry {
  name: string;
  form: string;
  strength: string;
  dosage: string;
  /** Days of a usual course; null for maintenance therapy. */
  courseDays: number | null;
  for: readonly Icd10Key[];
}

const m = (name: string, form: string, strength: string, dosage: string, courseDays: number | null, ...forCodes: Icd10Key[]): FormularyEntry => ({
  name, form, strength, dosage, courseDays, for: forCodes,
});

export const FORMULARY: readonly FormularyEntry[] = [
  m('lisinopril', 'tablet', '10 mg', '1 tablet by mouth once daily', null, 'I10', 'I509'),
  m('lisinopril', 'tablet', '20 mg', '1 tablet by mouth once daily', null, 'I10'),
  m('amlodipine', 'tablet', '5 mg', '1 tablet by mouth once daily', null, 'I10', 'I209'),
  m('losartan', 'tablet', '50 mg', '1 tablet by mouth once daily', null, 'I10'),
  m('hydrochlorothiazide', 'tablet', '25 mg', '1 tablet by mouth every morning', null, 'I10'),
  m('metoprolol succinate', 'extended-release tablet', '50 mg', '1 tablet by mouth once daily', null, 'I10', 'I4891', 'I2510', 'R002', 'I499'),
  m('carvedilol', 'tablet', '12.5 mg', '1 tablet by mouth twice daily with food', null, 'I509', 'I2510'),
  m('furosemide', 'tablet', '40 mg', '1 tablet by mouth every morning', null, 'I509'),
  m('spironolactone', 'tablet', '25 mg', '1 tablet by mouth once daily', null, 'I509'),
  m('apixaban', 'tablet', '5 mg', '1 tablet by mouth twice daily', null, 'I4891'),
  m('warfarin', 'tablet', '5 mg', 'as directed by the anticoagulation clinic', null, 'I4891'),
  m('clopidogrel', 'tablet', '75 mg', '1 tablet by mouth once daily', null, 'I2510', 'I209'),
  m('nitroglycerin', 'sublingual tablet', '0.4 mg', '1 tablet under the tongue as needed for chest pain, may repeat every 5 minutes up to 3 doses', null, 'I209', 'R079'),
  m('atorvastatin', 'tablet', '20 mg', '1 tablet by mouth once daily', null, 'E785', 'E7800'),
  m('atorvastatin', 'tablet', '40 mg', '1 tablet by mouth once daily', null, 'E785', 'I2510'),
  m('rosuvastatin', 'tablet', '10 mg', '1 tablet by mouth once daily', null, 'E785', 'E7800'),
  m('simvastatin', 'tablet', '20 mg', '1 tablet by mouth every evening', null, 'E785'),
  m('metformin', 'tablet', '500 mg', '1 tablet by mouth twice daily with meals', null, 'E119', 'E282'),
  m('metformin', 'tablet', '1000 mg', '1 tablet by mouth twice daily with meals', null, 'E1165'),
  m('glipizide', 'tablet', '5 mg', '1 tablet by mouth once daily before breakfast', null, 'E1165'),
  m('levothyroxine', 'tablet', '50 mcg', '1 tablet by mouth every morning on an empty stomach', null, 'E039'),
  m('levothyroxine', 'tablet', '100 mcg', '1 tablet by mouth every morning on an empty stomach', null, 'E039'),
  m('methimazole', 'tablet', '10 mg', '1 tablet by mouth once daily', 90, 'E0590'),
  m('alendronate', 'tablet', '70 mg', '1 tablet by mouth once weekly with a full glass of water', null, 'M810'),
  m('ergocalciferol', 'capsule', '1.25 mg (50,000 units)', '1 capsule by mouth once weekly', 56, 'E559'),
  m('ferrous sulfate', 'tablet', '325 mg', '1 tablet by mouth once daily', 90, 'D649'),
  m('omeprazole', 'delayed-release capsule', '20 mg', '1 capsule by mouth once daily before breakfast', 56, 'K219'),
  m('pantoprazole', 'delayed-release tablet', '40 mg', '1 tablet by mouth once daily', 56, 'K219'),
  m('amoxicillin', 'capsule', '500 mg', '1 capsule by mouth three times daily', 10, 'J029', 'J0190', 'J020'),
  m('amoxicillin', 'oral suspension', '400 mg/5 mL', 'weight-based dose by mouth twice daily', 10, 'H6690', 'J020'),
  m('amoxicillin and clavulanate potassium', 'tablet', '875 mg/125 mg', '1 tablet by mouth twice daily', 7, 'J0190'),
  m('azithromycin', 'tablet', '250 mg', '2 tablets on day 1, then 1 tablet daily on days 2 to 5', 5, 'J209', 'J029'),
  m('cephalexin', 'capsule', '500 mg', '1 capsule by mouth four times daily', 7, 'N390'),
  m('nitrofurantoin monohydrate/macrocrystals', 'capsule', '100 mg', '1 capsule by mouth twice daily', 5, 'N390'),
  m('doxycycline hyclate', 'capsule', '100 mg', '1 capsule by mouth twice daily', 90, 'L700', 'L719'),
  m('albuterol sulfate', 'inhalation aerosol', '90 mcg/actuation', '2 puffs by inhalation every 4 to 6 hours as needed', null, 'J45909', 'J449', 'J209', 'J219'),
  m('fluticasone propionate', 'nasal spray', '50 mcg/actuation', '2 sprays in each nostril once daily', 30, 'J0190', 'J069'),
  m('montelukast', 'tablet', '10 mg', '1 tablet by mouth every evening', null, 'J45909'),
  m('montelukast', 'chewable tablet', '5 mg', '1 tablet by mouth every evening', null, 'J45909'),
  m('cetirizine', 'tablet', '10 mg', '1 tablet by mouth once daily', 30, 'J069', 'H109'),
  m('benzonatate', 'capsule', '100 mg', '1 capsule by mouth three times daily as needed for cough', 7, 'R059', 'J209'),
  m('sertraline', 'tablet', '50 mg', '1 tablet by mouth once daily', null, 'F32A', 'F411'),
  m('escitalopram', 'tablet', '10 mg', '1 tablet by mouth once daily', null, 'F411', 'F32A'),
  m('bupropion hydrochloride', 'extended-release tablet', '150 mg', '1 tablet by mouth every morning', null, 'F32A'),
  m('trazodone', 'tablet', '50 mg', '1 tablet by mouth at bedtime as needed for sleep', 30, 'G4700'),
  m('sumatriptan', 'tablet', '50 mg', '1 tablet by mouth at migraine onset, may repeat once after 2 hours', null, 'G43909'),
  m('methylphenidate hydrochloride', 'extended-release tablet', '18 mg', '1 tablet by mouth every morning', 30, 'F900', 'F902'),
  m('ibuprofen', 'tablet', '600 mg', '1 tablet by mouth every 6 hours as needed with food', 10, 'M5450', 'M25561', 'M25511', 'S93401A', 'M7710', 'R519'),
  m('ibuprofen', 'oral suspension', '100 mg/5 mL', 'weight-based dose by mouth every 6 hours as needed', 5, 'R509', 'H6690', 'B084'),
  m('acetaminophen', 'oral suspension', '160 mg/5 mL', 'weight-based dose by mouth every 4 to 6 hours as needed', 5, 'R509', 'B084', 'J219'),
  m('naproxen', 'tablet', '500 mg', '1 tablet by mouth twice daily with food', 14, 'M1711', 'M170', 'M7710', 'M5450'),
  m('meloxicam', 'tablet', '15 mg', '1 tablet by mouth once daily', 30, 'M1711', 'M170', 'M75101'),
  m('cyclobenzaprine', 'tablet', '10 mg', '1 tablet by mouth at bedtime as needed for muscle spasm', 10, 'M5450', 'M797'),
  m('gabapentin', 'capsule', '300 mg', '1 capsule by mouth three times daily', null, 'G5600', 'M797'),
  m('prednisone', 'tablet', '20 mg', '2 tablets by mouth once daily', 5, 'J449', 'J45909'),
  m('ondansetron', 'orally disintegrating tablet', '4 mg', '1 tablet on the tongue every 8 hours as needed for nausea', 3, 'A084'),
  m('triamcinolone acetonide', 'cream', '0.1%', 'apply a thin layer to affected skin twice daily', 14, 'L309', 'L209', 'L400'),
  m('hydrocortisone', 'cream', '2.5%', 'apply a thin layer to affected skin twice daily', 14, 'L2083', 'L209', 'L219'),
  m('clobetasol propionate', 'ointment', '0.05%', 'apply a thin layer to plaques twice daily, max 2 weeks', 14, 'L400'),
  m('tretinoin', 'cream', '0.025%', 'apply a pea-sized amount to the face at bedtime', null, 'L700'),
  m('clindamycin phosphate', 'topical gel', '1%', 'apply to affected areas twice daily', 90, 'L700'),
  m('metronidazole', 'topical gel', '0.75%', 'apply a thin film to affected areas twice daily', null, 'L719'),
  m('ketoconazole', 'cream', '2%', 'apply to affected areas once daily', 28, 'L219'),
  m('terbinafine', 'tablet', '250 mg', '1 tablet by mouth once daily', 84, 'B351'),
  m('fluorouracil', 'cream', '5%', 'apply to lesions twice daily', 28, 'L570'),
  m('erythromycin', 'ophthalmic ointment', '5 mg/g', 'apply a 1 cm ribbon to the affected eye four times daily', 7, 'H109'),
];
