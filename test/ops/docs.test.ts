/**
 * Documentation that is cheap to keep true, kept true: every environment variable the
 * configuration reads and every npm script is in README.md; the query catalog shows each
 * view with the options it really has; no document names an internal issue number.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const readme = readFileSync('README.md', 'utf8');
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

describe('README.md', () => {
  it('documents every variable server/config.ts reads', () => {
    const keys = [...readFileSync('server/config.ts', 'utf8').matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((k) => !readme.includes(`\`${k}\``))).toEqual([]);
  });

  it('documents every npm script', () => {
    const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts);
    expect(scripts.filter((s) => !readme.includes(`npm run ${s}`) && !readme.includes(`npm ${s}`))).toEqual([]);
  });
});

describe('docs/', () => {
  it('the query catalog shows each view with its real options', async () => {
    const catalog = readFileSync('docs/query-catalog.md', 'utf8');
    const shown = [...catalog.matchAll(/CREATE VIEW (\w+) WITH \(([^)]*)\)/g)];
    expect(shown.length).toBeGreaterThan(0);
    for (const [, view, options] of shown) {
      const { rows } = await db.knex.raw<{ rows: { opts: string[] | null }[] }>('SELECT reloptions AS opts FROM pg_class WHERE relname = ?', [view!]);
      const real = (rows[0]?.opts ?? []).map((o) => o.split('=')[0]).sort();
      const documented = options!.split(',').map((o) => o.trim().split(/\s*=/)[0]!).sort();
      expect(documented, view).toEqual(real);
    }
  });

  it('no document or bench section names an internal issue number', () => {
    const files = [...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), 'README.md', ...readdirSync('bench/sections').map((f) => `bench/sections/${f}`)];
    const offenders = files.filter((f) => /\bissue \d+\b/i.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
