/** One minute before the automatic sign-out: say so, with a "Stay signed in" button. */
import type { IdleGuard } from '../lib/idle.js';
import { Dialog } from './dialog.js';

export function IdleWarning({ guard }: { guard: IdleGuard }) {
  const left = guard.warning.value;
  if (left === undefined) return null;
  return (
    <Dialog title="Still there?" onClose={() => guard.stay()}>
      <p>
        For patients' privacy you will be signed out in <strong>{left} seconds</strong> because nothing has been done on this screen.
      </p>
      <div class="actions">
        <button type="button" onClick={() => guard.stay()} autofocus>
          Stay signed in
        </button>
      </div>
    </Dialog>
  );
}
