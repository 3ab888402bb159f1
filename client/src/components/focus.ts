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
    const target = pending.current;
    pending.current = undefined;
    target?.current?.focus();
  });
  return useCallback((target) => {
    pending.current = target;
  }, []);
}
