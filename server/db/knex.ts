/**
 * Building knex instances. The pool never logs query parameters (they may hold
 * PII); timing and errors are observed in server/db/index.ts.
 *
 * The pg dialect is subclassed for two things: a transaction may ask for statements to
 * travel in the same message as its BEGIN (`beginLead`), so a request's transaction,
 * its session check and its identity cost one round trip instead of two; and a query may
 * ask to be a named, server-side prepared statement ({@link PREPARED}).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

// Return dates (PostgreSQL `date`) as 'YYYY-MM-DD' strings: a calendar day has no time zone,
// and turning it into a JS Date at local midnight would shift it.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
// bigint counts (count(*)) fit comfortably in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/**
 * Statements sent with BEGIN in one simple-protocol message (no parameters: the caller
 * must have checked every interpolated value). Their results are left in `results`
 * (pg's array of results, BEGIN's first). If any of them fails the transaction is rolled
 * back before the connection goes back to the pool, and the transaction rejects.
 */
export interface BeginLead {
  sql: string;
  results?: pg.QueryResult[];
}

/** Key in knex's transaction config under which a {@link BeginLead} is passed. */
export const BEGIN_LEAD = 'clinicpulseBeginLead';

/**
 * The parts of knex's pg transaction class (untyped CommonJS) that LeadTransaction uses or
 * overrides, as knex 3 defines them (lib/execution/transaction.js, dialects/postgres).
 */
interface PgTransactionBase {
  isolationLevel?: string;
  readOnly?: boolean;
  trxClient: {
    query(conn: pg.Client, query: { sql: string; bindings: readonly unknown[] }): Promise<{ response: pg.QueryResult | pg.QueryResult[] }>;
  };
  acquireConnection(config: Record<string, unknown> | undefined, cb: unknown): Promise<unknown>;
  begin(conn: pg.Client): Promise<unknown>;
}

const require = createRequire(import.meta.url);
const PgClient = require('knex/lib/dialects/postgres/index.js') as new (config: Knex.Config) => {
  _query(connection: pg.Client, obj: KnexQueryObject): Promise<unknown>;
};
const PgTransaction = require('knex/lib/dialects/postgres/execution/pg-transaction.js') as new (...args: unknown[]) => PgTransactionBase;

// knex keeps none of the transaction config but a few known fields; the lead is caught
// where the config passes through (acquireConnection, called from the constructor).
const leads = new WeakMap<object, BeginLead>();

class LeadTransaction extends PgTransaction {
  override acquireConnection(config: Record<string, unknown> | undefined, cb: unknown): Promise<unknown> {
    const lead = config?.[BEGIN_LEAD] as BeginLead | undefined;
    if (lead) leads.set(this, lead);
    return super.acquireConnection(config, cb);
  }

  override begin(conn: pg.Client): Promise<unknown> {
    const lead = leads.get(this);
    if (!lead || this.isolationLevel || this.readOnly) return super.begin(conn);
    return this.trxClient.query(conn, { sql: `BEGIN; ${lead.sql}`, bindings: [] }).then(
      (obj) => {
        lead.results = Array.isArray(obj.response) ? obj.response : [obj.response];
      },
      async (err: unknown) => {
        // The message's BEGIN took effect: never hand an aborted transaction back to the pool.
        await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      },
    );
  }
}

/**
 * Key in a query's `options()` that makes it a named prepared statement on its connection,
 * named after its SQL text: the connection parses it once and PostgreSQL's plan cache may
 * then run it on a generic plan without planning it again (docs/query-catalog.md, "Prepared
 * statements"). Only for statements whose text takes a bounded number of shapes (no IN list
 * of a caller's length): every text stays prepared for the connection's lifetime. The plan
 * cache re-plans a statement under row-level security whenever the role running it differs
 * from the one it was planned for, so a cached plan never carries one role's policies to another.
 */
export const PREPARED = 'clinicpulsePrepared';

interface KnexQueryObject {
  sql: string;
  bindings?: readonly unknown[];
  options?: Record<string, unknown>;
}

/**
 * SQLSTATEs of a named statement that can no longer run on its connection: "cached plan must
 * not change result type" (a migration changed what it returns) and "prepared statement does
 * not exist" (something deallocated it, e.g. a transaction-mode pooler in between).
 */
const STALE_STATEMENT_STATES = new Set(['0A000', '26000']);
const staleStatementErrors = new WeakSet<object>();

/**
 * Did this error come from a prepared statement its connection can no longer run? Its
 * connection has been retired, so the whole transaction may be retried (server/db/errors.ts).
 */
export function isStalePreparedStatement(err: unknown): boolean {
  return typeof err === 'object' && err !== null && staleStatementErrors.has(err);
}

/** A statement's name from its text (the same text always gets the same name, as pg insists), in lower case so that SQL can name it too (EXECUTE, DEALLOCATE). */
const statementName = (sql: string) => `cp_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;

class ClinicPulsePgClient extends PgClient {
  override _query(connection: pg.Client, obj: KnexQueryObject): Promise<unknown> {
    const options = obj.options;
    if (options?.[PREPARED] === true) {
      const { [PREPARED]: _prepared, ...rest } = options;
      return super._query(connection, { ...obj, options: { ...rest, name: statementName(obj.sql) } }).catch((err: unknown) => {
        // The connection would refuse this statement from now on. The pool replaces a
        // connection marked disposed, and the transaction is retried on the new one.
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && STALE_STATEMENT_STATES.has(code) && typeof err === 'object' && err !== null) {
          staleStatementErrors.add(err);
          (connection as pg.Client & { __knex__disposed?: string }).__knex__disposed = 'a prepared statement no longer runs on this connection';
        }
        throw err;
      });
    }
    return super._query(connection, obj);
  }

  transaction(container: unknown, config: unknown, outerTx: unknown): unknown {
    return new LeadTransaction(this, container, config, outerTx);
  }
}

/**
 * The pool of a knex instance, for the few places that hold a connection of their own
 * (one-message statements, COPY lanes). knex types `knex.client` as `any`; this names the two
 * operations used.
 */
export interface ConnectionPool {
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(conn: pg.Client): Promise<unknown>;
}

export function connectionPool(knex: Knex): ConnectionPool {
  return knex.client as ConnectionPool;
}

export interface KnexOptions {
  poolMin?: number;
  poolMax?: number;
  applicationName?: string;
}

export function createKnex(connectionString: string, opts: KnexOptions = {}): Knex {
  return knexFactory({
    client: ClinicPulsePgClient as unknown as typeof knexFactory.Client,
    connection: { connectionString, application_name: opts.applicationName ?? 'clinicpulse' },
    pool: { min: opts.poolMin ?? 0, max: opts.poolMax ?? 10 },
    acquireConnectionTimeout: 10_000,
    // On error knex otherwise re-substitutes bound values into the SQL it puts in the message
    // (wherever the positioned SQL still holds a '?', e.g. an escaped jsonb operator): patient
    // data in logs. Off, the message carries the SQL with its $n placeholders only.
    compileSqlOnError: false,
  });
}
