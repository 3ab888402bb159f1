/** The screen-reader announcer (client/src/lib/announcer.ts): each region says its own last message. */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { Announcer } from '../../client/src/lib/announcer.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

it('announces a failure even when a live change is announced right after it', async () => {
  const a = new Announcer();
  a.announce('The move could not be undone: that time is taken.', 'assertive');
  await vi.advanceTimersByTimeAsync(10);
  a.announce('Tess Taken, 09:00: booked.');
  await vi.advanceTimersByTimeAsync(100);
  expect(a.assertive.value).toBe('The move could not be undone: that time is taken.');
  expect(a.polite.value).toBe('Tess Taken, 09:00: booked.');
});

it('says a repeated message again (cleared, then filled)', async () => {
  const a = new Announcer();
  a.announce('Showing Tuesday, April 6, 2027.');
  await vi.advanceTimersByTimeAsync(100);
  a.announce('Showing Tuesday, April 6, 2027.');
  expect(a.polite.value).toBe('');
  await vi.advanceTimersByTimeAsync(100);
  expect(a.polite.value).toBe('Showing Tuesday, April 6, 2027.');
});

it('says both of two messages that arrive together on one region, in order', async () => {
  const a = new Announcer();
  // Two live changes in one burst (a booking and an arrival pushed together): neither is lost.
  a.announce('Tess Taken, 09:00: booked.');
  await vi.advanceTimersByTimeAsync(10);
  a.announce('Al Arrived, 09:30: checked in.');
  await vi.advanceTimersByTimeAsync(100);
  expect(a.polite.value).toBe('Tess Taken, 09:00: booked. Al Arrived, 09:30: checked in.');
  // Once said, the next message stands alone.
  a.announce('Showing Tuesday, April 6, 2027.');
  await vi.advanceTimersByTimeAsync(100);
  expect(a.polite.value).toBe('Showing Tuesday, April 6, 2027.');
});

it('says the latest few of a long burst and how many came before them', async () => {
  const a = new Announcer();
  for (let i = 1; i <= 7; i++) a.announce(`Patient ${i}, 09:00: booked.`);
  await vi.advanceTimersByTimeAsync(100);
  expect(a.polite.value).toBe(
    '2 earlier messages not read. Patient 3, 09:00: booked. Patient 4, 09:00: booked. Patient 5, 09:00: booked. Patient 6, 09:00: booked. Patient 7, 09:00: booked.',
  );
});

it('says only the latest of messages of one kind (a keyboard move previewed step by step), beside the others', async () => {
  const a = new Announcer();
  a.announce('Moving Kim Move. Arrow keys move it.');
  a.announce('Kim Move: 14:15–14:45, Dr Ada Lovelace.', 'polite', 'move-preview');
  a.announce('Kim Move: 14:30–15:00, Dr Ada Lovelace.', 'polite', 'move-preview');
  a.announce('Kim Move: 14:30–15:00, Dr Ben Carson.', 'polite', 'move-preview');
  a.announce('Kim Move: 14:30–15:15, Dr Ben Carson.', 'polite', 'move-preview');
  await vi.advanceTimersByTimeAsync(100);
  expect(a.polite.value).toBe('Moving Kim Move. Arrow keys move it. Kim Move: 14:30–15:15, Dr Ben Carson.');
});
