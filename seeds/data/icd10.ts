/**
 * Reference data: real ICD-10-CM codes (FY2024 code set) with their official short
 * descriptions, grouped by the specialties that typically record them. Used by the
 * demo seed and the volume generator; never by the API (diagnoses carry their own
 * description so a record stays readable if this list changes).
 */

export interface Icd10Code {
  code: string;
  description: string;
}

const c = (code: string, description: string): Icd10Code => ({ code, description });

export const ICD10_CODES = {
  // Primary care (family and internal medicine)
  I10: c('I10', 'Essential (primary) hypertension'),
  E119: c('E11.9', 'Type 2 diabetes mellitus without complications'),
  E1165: c('E11.65', 'Type 2 diabetes mellitus with hyperglycemia'),
  E785: c('E78.5', 'Hyperlipidemia, unspecified'),
  E7800: c('E78.00', 'Pure hypercholesterolemia, unspecified'),
  E669: c('E66.9', 'Obesity, unspecified'),
  E039: c('E03.9', 'Hypothyroidism, unspecified'),
  E559: c('E55.9', 'Vitamin D deficiency, unspecified'),
  D649: c('D64.9', 'Anemia, unspecified'),
  J069: c('J06.9', 'Acute upper respiratory infection, unspecified'),
  J029: c('J02.9', 'Acute pharyngitis, unspecified'),
  J209: c('J20.9', 'Acute bronchitis, unspecified'),
  J0190: c('J01.90', 'Acute sinusitis, unspecified'),
  J45909: c('J45.909', 'Unspecified asthma, uncomplicated'),
  J449: c('J44.9', 'Chronic obstructive pulmonary disease, unspecified'),
  N390: c('N39.0', 'Urinary tract infection, site not specified'),
  K219: c('K21.9', 'Gastro-esophageal reflux disease without esophagitis'),
  F411: c('F41.1', 'Generalized anxiety disorder'),
  F32A: c('F32.A', 'Depression, unspecified'),
  G4700: c('G47.00', 'Insomnia, unspecified'),
  G43909: c('G43.909', 'Migraine, unspecified, not intractable, without status migrainosus'),
  R519: c('R51.9', 'Headache, unspecified'),
  R059: c('R05.9', 'Cough, unspecified'),
  M5450: c('M54.50', 'Low back pain, unspecified'),
  Z0000: c('Z00.00', 'Encounter for general adult medical examination without abnormal findings'),
  Z0001: c('Z00.01', 'Encounter for general adult medical examination with abnormal findings'),
  Z23: c('Z23', 'Encounter for immunization'),
  Z713: c('Z71.3', 'Dietary counseling and surveillance'),
  // Pediatrics
  Z00129: c('Z00.129', 'Encounter for routine child health examination without abnormal findings'),
  Z00121: c('Z00.121', 'Encounter for routine child health examination with abnormal findings'),
  H6690: c('H66.90', 'Otitis media, unspecified, unspecified ear'),
  J020: c('J02.0', 'Streptococcal pharyngitis'),
  J219: c('J21.9', 'Acute bronchiolitis, unspecified'),
  B084: c('B08.4', 'Enteroviral vesicular stomatitis with exanthem'),
  L2083: c('L20.83', 'Infantile (acute) (chronic) eczema'),
  R509: c('R50.9', 'Fever, unspecified'),
  F900: c('F90.0', 'Attention-deficit hyperactivity disorder, predominantly inattentive type'),
  F902: c('F90.2', 'Attention-deficit hyperactivity disorder, combined type'),
  A084: c('A08.4', 'Viral intestinal infection, unspecified'),
  H109: c('H10.9', 'Unspecified conjunctivitis'),
  // Cardiology
  I2510: c('I25.10', 'Atherosclerotic heart disease of native coronary artery without angina pectoris'),
  I4891: c('I48.91', 'Unspecified atrial fibrillation'),
  I509: c('I50.9', 'Heart failure, unspecified'),
  I209: c('I20.9', 'Angina pectoris, unspecified'),
  R002: c('R00.2', 'Palpitations'),
  R079: c('R07.9', 'Chest pain, unspecified'),
  I350: c('I35.0', 'Nonrheumatic aortic (valve) stenosis'),
  I499: c('I49.9', 'Cardiac arrhythmia, unspecified'),
  R55: c('R55', 'Syncope and collapse'),
  // Dermatology
  L700: c('L70.0', 'Acne vulgaris'),
  L400: c('L40.0', 'Psoriasis vulgaris'),
  L309: c('L30.9', 'Dermatitis, unspecified'),
  L209: c('L20.9', 'Atopic dermatitis, unspecified'),
  L570: c('L57.0', 'Actinic keratosis'),
  L821: c('L82.1', 'Other seborrheic keratosis'),
  B351: c('B35.1', 'Tinea unguium'),
  L719: c('L71.9', 'Rosacea, unspecified'),
  D229: c('D22.9', 'Melanocytic nevi, unspecified'),
  L219: c('L21.9', 'Seborrheic dermatitis, unspecified'),
  // Endocrinology
  E0590: c('E05.90', 'Thyrotoxicosis, unspecified without thyrotoxic crisis or storm'),
  E282: c('E28.2', 'Polycystic ovarian syndrome'),
  E213: c('E21.3', 'Hyperparathyroidism, unspecified'),
  M810: c('M81.0', 'Age-related osteoporosis without current pathological fracture'),
  // Orthopedics
  M1711: c('M17.11', 'Unilateral primary osteoarthritis, right knee'),
  M170: c('M17.0', 'Bilateral primary osteoarthritis of knee'),
  M75101: c('M75.101', 'Unspecified rotator cuff tear or rupture of right shoulder, not specified as traumatic'),
  M25511: c('M25.511', 'Pain in right shoulder'),
  M25561: c('M25.561', 'Pain in right knee'),
  S93401A: c('S93.401A', 'Sprain of unspecified ligament of right ankle, initial encounter'),
  M7710: c('M77.10', 'Lateral epicondylitis, unspecified elbow'),
  G5600: c('G56.00', 'Carpal tunnel syndrome, unspecified upper limb'),
  M797: c('M79.7', 'Fibromyalgia'),
} as const satisfies Record<string, Icd10Code>;

export type Icd10Key = keyof typeof ICD10_CODES;
