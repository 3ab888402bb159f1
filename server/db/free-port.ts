/**
 * A port for a throwaway server (the test suite's and the bench's embedded PostgreSQL, the
 * bench's service): free on 127.0.0.1 when asked, and below Linux's ephemeral range
 * (32768–60999), so that the machine's own outgoing connections — thousands of them while the
 * live-push bench holds 10,000 sockets — cannot take it between the check and the bind. A
 * random port in the ephemeral range collided about once a day on this shared machine
 * ("could not bind IPv4 address: Address already in use").
 */
import net from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

export async function freeLoopbackPort(): Promise<number> {
  for (;;) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canBind(port)) return port;
  }
}
