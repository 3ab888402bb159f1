/**
 * The parameterized repository: every query the service runs against the clinic
 * tables, each taking the caller's transaction (from asStaff) first. No SQL is
 * built from strings; values are always bound parameters.
 */
export * from './common.js';
export * from './appointments.js';
export * from './patients.js';
export * from './schedule.js';
export * from './analytics.js';
export * from './visits.js';
export * from './visit-notes.js';
export * from './erasure.js';
export * from './access-log.js';
export * from './providers.js';
