/**
 * The idle guard (client/src/lib/idle.ts) against a model of the server's idle deadline: a
 * keep-alive moves the server's deadline to now + idle (exactly, as the activity header
 * asks), and nothing else the page does moves it. The page must never believe a session is
 * alive that the server has already ended: from any pattern of input, the server's deadline
 * stays at or after the page's own, so "Stay signed in" always works while it is offered.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleGuard } from '../../client/src/lib/idle.js';

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
  const server = { deadline: 0, pings: 0 };
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

  it('never lets the server end the session before the page warns and signs out, whatever the input', async () => {
    for (let run = 0; run < 20; run++) {
      const { guard, server, signedOut } = start();
      // Input at random moments over the first 40 minutes, then silence.
      let t = 0;
      while (t < 40 * 60_000) {
        const gap = Math.floor(Math.random() * 5 * 60_000);
        t += gap;
        await vi.advanceTimersByTimeAsync(gap);
        if (signedOut() !== undefined) break;
        input(Math.random() < 0.5 ? 'keydown' : 'pointerdown');
        // Every second, the session the page believes in is alive on the server.
        for (let s = 0; s < 3; s++) {
          await vi.advanceTimersByTimeAsync(1000);
          t += 1000;
          expect(server.deadline).toBeGreaterThan(Date.now());
        }
      }
      // Walk to the sign-out second by second: while the warning shows, staying still works.
      while (signedOut() === undefined) {
        if (guard.warning.value !== undefined) expect(server.deadline).toBeGreaterThan(Date.now());
        await vi.advanceTimersByTimeAsync(1000);
      }
      expect(server.deadline).toBeGreaterThanOrEqual(signedOut()!);
      guard.stop();
    }
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
