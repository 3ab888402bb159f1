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

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Control `from`, pressed inside `container`, is about to be replaced by whatever the container
 * shows next, and that may take a while (a Retry: first "Loading…", then the content or the
 * error again). Until the container shows a control, each time the focus has fallen to the page
 * it is put back in the container: on its status line while it loads, then on its first control
 * (the grid's active cell, the new Retry). It stops as soon as the person is somewhere else, or
 * after `ms`.
 */
export function keepFocusIn(container: HTMLElement, from: HTMLElement, ms = 30_000): void {
  let status: HTMLElement | undefined;
  const settle = (): boolean => {
    if (!container.isConnected) return true;
    const active = document.activeElement;
    const lost = !active || active === document.body;
    if (!lost && active !== from && active !== status) return true;
    const control = [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].find((el) => el !== from);
    if (control) {
      control.focus();
      return true;
    }
    if (lost) {
      status = container.querySelector<HTMLElement>('[role=status]') ?? undefined;
      if (status) {
        status.tabIndex = -1;
        status.focus();
      }
    }
    return false;
  };
  const observer = new MutationObserver(() => settle() && stop());
  const timer = setTimeout(() => stop(), ms);
  const stop = () => (observer.disconnect(), clearTimeout(timer));
  observer.observe(container, { childList: true, subtree: true });
}
