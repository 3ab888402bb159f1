/**
 * A button whose action is under way: it says so (aria-disabled, dimmed) and ignores presses
 * until the action ends, but keeps the keyboard focus. A `disabled` button would drop the focus
 * to the page the moment it was pressed, so after a refusal (a conflict, a wrong password) a
 * keyboard user would start again from the top. A press while busy is cancelled, which also
 * stops the form's submission when Enter is pressed in one of its fields.
 */
import type { ButtonHTMLAttributes } from 'preact';

export function BusyButton({ busy, onClick, ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { busy: boolean }) {
  return (
    <button
      {...rest}
      aria-disabled={busy}
      onClick={(e) => {
        if (busy) e.preventDefault();
        else onClick?.(e);
      }}
    />
  );
}
