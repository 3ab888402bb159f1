/**
 * Every request has a visible loading, empty and error state: these three views, and
 * useResource(), which runs a load and exposes which of them to show. An error shows the
 * server's own message and a Retry button; nothing is ever a blank page.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../lib/api.js';
import { keepFocusIn } from './focus.js';

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

/**
 * The outcome of an action whose control went away with it (a patient erased, an account
 * deactivated): it takes the keyboard focus when it appears or changes, so a keyboard user
 * carries on from here instead of from the top of the page.
 */
export function Outcome({ ok, text }: { ok: boolean; text: string }) {
  const ref = useRef<HTMLParagraphElement>(null);
  useEffect(() => ref.current?.focus(), [text]);
  return (
    <p ref={ref} tabIndex={-1} class={ok ? 'ok' : 'banner'} role={ok ? 'status' : 'alert'}>
      {text}
    </p>
  );
}

export function ErrorView({ error, retry, what }: { error: unknown; retry?: () => void; what?: string }) {
  return (
    <div class="state error" role="alert">
      <p>
        <strong>{what ?? 'This could not be loaded.'}</strong> {describeError(error)}
      </p>
      {retry && (
        <button
          type="button"
          onClick={(e) => {
            // This view goes away with the press: the focus stays in what replaces it (components/focus.ts).
            const box = e.currentTarget.closest('.state')?.parentElement;
            if (box && document.activeElement === e.currentTarget) keepFocusIn(box, e.currentTarget);
            retry();
          }}
        >
          Retry
        </button>
      )}
    </div>
  );
}

export type Resource<T> = (
  | { status: 'loading'; data?: T }
  | { status: 'ready'; data: T }
  | { status: 'error'; error: unknown; data?: T }
) & {
  /**
   * The data if it was loaded for the current `key` (see useResource), else undefined: while
   * another key loads, or after its load failed, the last key's data is not this key's.
   */
  current?: T;
  reload: () => void;
};

/**
 * Load `fn` when `deps` change; abort the previous load. Keeps the last data while reloading
 * (`data`); `key` names what the data is for (a day, a set of filters), so that `current` is
 * only ever data loaded for the key shown, while a reload of the same key (a live update)
 * keeps it on screen. Without a key, `current` is `data`.
 */
export function useResource<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[], key?: string): Resource<T> {
  const [state, setState] = useState<{ status: 'loading' | 'ready' | 'error'; data?: T; error?: unknown; key?: string }>({ status: 'loading' });
  const [nonce, setNonce] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const keyRef = useRef(key);
  keyRef.current = key;
  useEffect(() => {
    const ctl = new AbortController();
    const loadingFor = keyRef.current;
    setState((s) => ({ status: 'loading', data: s.data, key: s.key }));
    fnRef.current(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ status: 'ready', data, key: loadingFor }),
      (error) => !ctl.signal.aborted && setState((s) => ({ status: 'error', error, data: s.data, key: s.key })),
    );
    return () => ctl.abort();
  }, [...deps, nonce]);
  const reload = () => setNonce((n) => n + 1);
  const current = state.key === key ? state.data : undefined;
  return { ...state, current, reload } as Resource<T>;
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
