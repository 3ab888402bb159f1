/**
 * A second, separate server process for the two-process realtime test: the real
 * realtime server on 127.0.0.1:0 over its own pool and its own LISTEN connection.
 * Prints {"port": N} on stdout once listening; exits when stdin closes or on SIGTERM.
 * Run: node --import tsx test/support/realtime-process.ts (env REALTIME_APP_URL, REALTIME_SECRET, REALTIME_ORIGIN).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createKnex } from '../../server/db/knex.js';
import { attachRealtime } from '../../server/realtime/attach.js';

const appUrl = process.env.REALTIME_APP_URL!;
const knex = createKnex(appUrl, { poolMax: 5, applicationName: 'clinicpulse-process-b' });
const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
const realtime = await attachRealtime({
  httpServer,
  appKnex: knex,
  appUrl,
  // The handshake authenticator server/main.ts attaches: the only way a socket signs in.
  sessionSecret: process.env.REALTIME_SECRET!,
  allowedOrigins: [process.env.REALTIME_ORIGIN!],
  retentionDays: 7,
  overrides: { pruneIntervalMs: 0, listenerApplicationName: 'clinicpulse-process-b-listen' },
});
process.stdout.write(`${JSON.stringify({ port: (httpServer.address() as AddressInfo).port, pid: process.pid })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await realtime.close();
  httpServer.closeAllConnections();
  httpServer.close();
  await knex.destroy();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
