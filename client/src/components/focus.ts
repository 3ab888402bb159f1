/**
 * Moving the keyboard focus to what replaces a control that went away: a chosen search result
 * gives way to the choice, a cleared choice gives the search box back. `focusAfterRender(ref)`
 * focuses `ref` once the render that shows it has happened.
 */
import type { RefObject } from 'preact';
import { useCallback, useEffect, useRef } from 'preact/hooks';

export function useFocusAfterRender(): (target: RefObject<HTMLElement | null>) => void {
  const pending = useRef<RefObject<HTMLElement | null>>(undefined);
  useEffect(() => {
    // Preact runs an earlier render's effects just before the next render, so this can run
    // before the target is on the page: then it waits for the render that shows it.
    const target = pending.current?.current;
    if (!target) return;
    pending.current = undefined;
    target.focus();
  });
  return useCallback((target) => {
    pending.current = target;
  }, []);
}
