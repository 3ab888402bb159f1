/**
 * The ICD-10-CM code list in memory, for the complete-visit form's search-as-you-type.
 *
 * The list is reference data (no patient content, 72 codes, changed only by a migration or an
 * administrator: no service role may write it), yet GET /api/icd10 used to pay two database
 * transactions per keystroke: the request's session transaction, then a read-only one for a
 * LIKE over the table. Measured (bench section "ICD-10 search", docs/benchmarks.md) the
 * SELECT was the small part; the transactions around it were the rest. So the route checks
 * the session in one round trip (RouteSpec.lean) and answers from this index.
 *
 * The index is read with the rights of the clinician whose search finds it empty or stale
 * (in that clinician's own transaction, so RLS and the column grants still decide), which
 * means no service role gains a grant to the table. A change shows within `maxAgeMs`
 * (default 60 s): a search after that serves the current index at once and reloads it in the
 * background, one reload at a time. `invalidate()` makes the next search reload first.
 *
 * The matching is the SQL's (icd10SearchQuery in server/db/repository/reference.ts), on the
 * same stored search_text: codes starting with the query (any case, dots ignored) first, then
 * codes whose description has a word starting with each word of the query; code order within
 * each group. test/icd10-index.test.ts checks both give the same answers.
 */
import { searchWords, type Icd10Code, type Icd10Entry } from '../db/repository/reference.js';

interface Indexed extends Icd10Entry {
  /** The code without its dot, upper case. */
  bare: string;
}

export interface Icd10IndexOptions {
  /** How long a loaded list is served before a search reloads it in the background (ms). */
  maxAgeMs?: number;
  now?: () => number;
}

export class Icd10Index {
  private entries: Indexed[] | undefined;
  private loadedAt = 0;
  private reloading: Promise<void> | undefined;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(opts: Icd10IndexOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** How many codes are loaded (0 before the first load). */
  get size(): number {
    return this.entries?.length ?? 0;
  }

  /** The next search reloads the list before answering. */
  invalidate(): void {
    this.entries = undefined;
  }

  /** Replace the list (rows in any order). */
  load(rows: readonly Icd10Entry[]): void {
    this.entries = rows
      .map((r) => ({ code: r.code, description: r.description, searchText: r.searchText, bare: r.code.replace(/\./g, '').toUpperCase() }))
      .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    this.loadedAt = this.now();
  }

  /**
   * Up to `limit` codes matching `q`. `read` fetches the list (in the caller's transaction):
   * awaited when nothing is loaded, in the background when the list is older than maxAgeMs.
   */
  async search(q: string, limit: number, read: () => Promise<Icd10Entry[]>): Promise<Icd10Code[]> {
    if (!this.entries) await this.reload(read);
    else if (this.now() - this.loadedAt >= this.maxAgeMs) void this.reload(read).catch(() => undefined);
    return this.match(q, limit);
  }

  private reload(read: () => Promise<Icd10Entry[]>): Promise<void> {
    this.reloading ??= read()
      .then((rows) => this.load(rows))
      .finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** The search itself, over what is loaded. */
  match(q: string, limit: number): Icd10Code[] {
    if (q.trim() === '' || !this.entries) return [];
    const code = q.trim().toUpperCase().replace(/\./g, '');
    const words = searchWords(q).map((w) => ` ${w}`);
    const byCode: Icd10Code[] = [];
    const byWords: Icd10Code[] = [];
    for (const e of this.entries) {
      if (code !== '' && e.bare.startsWith(code)) byCode.push({ code: e.code, description: e.description });
      else if (byCode.length + byWords.length < limit && (code === '' || words.length > 0) && words.every((w) => e.searchText.includes(w))) {
        byWords.push({ code: e.code, description: e.description });
      }
      if (byCode.length >= limit) break;
    }
    return [...byCode, ...byWords].slice(0, limit);
  }
}
