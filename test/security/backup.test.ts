/**
 * The backup role: pg_dump as clinicpulse_backup reads every table, rows hidden by RLS
 * included (pg_dump refuses to dump a table whose rows RLS would filter), and the role
 * can change nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { withCredentials } from '../../server/db/connect.js';
import { buildWorld, sqlState } from './world.js';

const run = promisify(execFile);
let db: TestDatabase;
let backupUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await buildWorld(db.knex);
  backupUrl = withCredentials(db.url, 'clinicpulse_backup', inject('backupPassword'));
});
afterAll(async () => db?.drop());

describe('clinicpulse_backup', () => {
  it('dumps the whole database with pg_dump, patient data behind RLS included', async () => {
    const bin = process.env.PG_DUMP ?? '/usr/bin/pg_dump';
    const { stdout } = await run(bin, ['--no-owner', '--dbname', backupUrl], { maxBuffer: 256 * 1024 * 1024 });
    for (const table of ['patients', 'appointments', 'visits', 'diagnoses', 'prescriptions', 'charges', 'audit_log', 'staff_users']) {
      expect(stdout, table).toContain(`COPY public.${table} `);
    }
    expect(stdout).toContain('Alpha Patient');
    expect(stdout).toContain('Upper respiratory infection of Bravo');
  });

  it('can change nothing', async () => {
    const client = new pg.Client({ connectionString: backupUrl });
    await client.connect();
    try {
      const attempt = (sql: string) => sqlState(() => client.query(sql));
      expect(await attempt("UPDATE patients SET name = 'x'")).toBe('42501');
      expect(await attempt('DELETE FROM appointments')).toBe('42501');
      expect(await attempt("INSERT INTO providers (name, specialty) VALUES ('x', 'y')")).toBe('42501');
      expect(await attempt('TRUNCATE audit_log')).toBe('42501');
      expect(await attempt('CREATE TABLE stash (x int)')).toBe('42501');
    } finally {
      await client.end();
    }
  });
});
