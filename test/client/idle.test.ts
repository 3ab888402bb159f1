/**
 * The idle guard (client/src/lib/idle.ts) against a model of the server's idle deadline: a
 * keep-alive moves the server's deadline to now + idle (exactly, as the activity header
 * asks), and nothing else the page does moves it. The page must never believe a session is
 * alive that the server has already ended: from any pattern of input, the server's deadline
 * stays at or after the page's own, so "Stay signed in" always works while it is offered.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleGuard } from '../../client/src/lib/idle.js';
import { seededRandom } from '../support/random.js';

const IDLE = 15 * 60_000;
const WARN = 60_000;

let guards: IdleGuard[] = [];
beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-07T09:00:00Z') });
  vi.stubGlobal('window', new EventTarget());
});
afterEach(() => {
  for (const g of guards) g.stop();
  guards = [];
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

function start(idleMs = IDLE) {
  // Signing in set the server's deadline; from then on only keep-alives move it.
  const server = { deadline: Date.now() + idleMs, pings: 0 };
  let signedOut: number | undefined;
  const guard = new IdleGuard(
    idleMs,
    () => {
      server.pings++;
      server.deadline = Date.now() + idleMs;
      return Promise.resolve();
    },
    () => (signedOut = Date.now()),
    WARN,
  );
  guards.push(guard);
  return { guard, server, signedOut: () => signedOut };
}

const input = (type = 'keydown') => window.dispatchEvent(new Event(type));


describe('the idle guard', () => {
  it('tells the server at once that the person is here when it starts', () => {
    const { server } = start();
    expect(server.pings).toBe(1);
    expect(server.deadline).toBe(Date.now() + IDLE);
  });

  it('follows input with a keep-alive soon after, even when the last one was moments before', async () => {
    const { server } = start();
    await vi.advanceTimersByTimeAsync(59_000);
    input(); // a click 59 s after the last keep-alive, then nothing more
    await vi.advanceTimersByTimeAsync(2_000);
    expect(server.pings).toBe(2);
    expect(server.deadline).toBeGreaterThanOrEqual(Date.now() - 2_000 + IDLE);
  });

  it('never lets the server end the session while the page believes it alive, whatever the input', async () => {
    const random = seededRandom(20261207);
    for (let run = 0; run < 9; run++) {
      const { server, signedOut } = start();
      // Input in some seconds of the first half hour (rarely, often, very often), then silence.
      const chance = [0.001, 0.01, 0.1][run % 3]!;
      for (let second = 0; signedOut() === undefined; second++) {
        if (second < 30 * 60 && random() < chance) input(random() < 0.5 ? 'keydown' : 'pointerdown');
        await vi.advanceTimersByTimeAsync(1000);
        if (signedOut() === undefined) expect(server.deadline).toBeGreaterThan(Date.now());
      }
      expect(server.deadline).toBeGreaterThanOrEqual(signedOut()!);
    }
  });

  it('sends a failed keep-alive again, so the server still learns of the input', async () => {
    let calls = 0;
    let deadline = 0;
    const guard = new IdleGuard(
      IDLE,
      () => {
        calls++;
        if (calls === 2) return Promise.reject(new Error('ClinicPulse cannot be reached right now.'));
        deadline = Date.now() + IDLE;
        return Promise.resolve();
      },
      () => undefined,
      WARN,
    );
    guards.push(guard);
    await vi.advanceTimersByTimeAsync(30_000);
    input();
    const typed = Date.now();
    await vi.advanceTimersByTimeAsync(31_000); // the keep-alive for that input (a minute after the first) fails...
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(6_000); // ...and is sent again, with no further input
    expect(calls).toBe(3);
    expect(deadline).toBeGreaterThanOrEqual(typed + IDLE);
  });

  it('warns a minute before, keeps the warning through a stray mouse move, and "Stay" tells the server', async () => {
    const { guard, server, signedOut } = start();
    await vi.advanceTimersByTimeAsync(IDLE - WARN + 1_000);
    expect(guard.warning.value).toBeGreaterThan(50);
    expect(server.pings).toBe(1); // watching is not activity
    input('mousemove');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(guard.warning.value).toBeDefined();
    guard.stay();
    expect(guard.warning.value).toBeUndefined();
    expect(server.pings).toBe(2);
    expect(server.deadline).toBe(Date.now() + IDLE);
    await vi.advanceTimersByTimeAsync(IDLE);
    expect(signedOut()).toBeDefined();
  });
});
