/** The sign-in page. After signing in the page shows the same URL it had (where the person was). */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Session } from '../lib/session.js';
import { describeError } from '../lib/api.js';
import { BusyButton } from './busy-button.js';

export function SignIn({ session }: { session: Session }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const user = useRef<HTMLInputElement>(null);
  useEffect(() => user.current?.focus(), []);
  return (
    <main class="signin">
      <form
        class="card login"
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const field = (name: string) => {
            const v = f.get(name);
            return typeof v === 'string' ? v : '';
          };
          setBusy(true);
          setError(undefined);
          try {
            await session.signIn(field('username'), field('password'));
          } catch (err) {
            setError(describeError(err));
            setBusy(false);
          }
        }}
      >
        <h1>ClinicPulse</h1>
        {session.notice.value && <p class="notice">{session.notice.value}</p>}
        <label>
          Username
          <input ref={user} name="username" autocomplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <BusyButton type="submit" busy={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </BusyButton>
        <p class="error" role="alert">
          {error ?? ''}
        </p>
      </form>
    </main>
  );
}
