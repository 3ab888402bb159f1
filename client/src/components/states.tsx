/**
 * Every request has a visible loading, empty and error state: these three views, and
 * useResource(), which runs a load and exposes which of them to show. An error shows the
 * server's own message and a Retry button; nothing is ever a blank page.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../lib/api.js';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="state loading" role="status">
      <span class="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state empty">{children}</p>;
}

export function ErrorView({ error, retry, what }: { error: unknown; retry?: () => void; what?: string }) {
  return (
    <div class="state error" role="alert">
      <p>
        <strong>{what ?? 'This could not be loaded.'}</strong> {describeError(error)}
      </p>
      {retry && (
        <button type="button" onClick={retry}>
          Retry
        </button>
      )}
    </div>
  );
}

export type Resource<T> =
  | { status: 'loading'; data?: T; reload: () => void }
  | { status: 'ready'; data: T; reload: () => void }
  | { status: 'error'; error: unknown; data?: T; reload: () => void };

/** Load `fn` when `deps` change; abort the previous load. Keeps the last data while reloading. */
export function useResource<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Resource<T> {
  const [state, setState] = useState<{ status: 'loading' | 'ready' | 'error'; data?: T; error?: unknown }>({ status: 'loading' });
  const [nonce, setNonce] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ status: 'loading', data: s.data }));
    fnRef.current(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ status: 'ready', data }),
      (error) => !ctl.signal.aborted && setState((s) => ({ status: 'error', error, data: s.data })),
    );
    return () => ctl.abort();
  }, [...deps, nonce]);
  const reload = () => setNonce((n) => n + 1);
  return { ...state, reload } as Resource<T>;
}

/** A form's refusal, announced as it appears; nothing while there is none. */
export function FormError({ message, id }: { message: string | undefined; id?: string }) {
  if (!message) return null;
  return (
    <p id={id} class="field-error" role="alert">
      {message}
    </p>
  );
}
