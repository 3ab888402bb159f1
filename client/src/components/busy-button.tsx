/**
 * Buttons that keep the keyboard focus while they have nothing to do. A `disabled` button drops
 * the focus to the page the moment it becomes disabled, so after a refusal (a conflict, a wrong
 * password) or a press that leaves it with nothing left to do (Today on today, Zoom out at the
 * widest), a keyboard user would start again from the top. Instead the button says so
 * (aria-disabled, dimmed) and a press is cancelled, which also stops a form's submission when
 * Enter is pressed in one of its fields.
 */
import type { ButtonHTMLAttributes } from 'preact';

type Props = ButtonHTMLAttributes<HTMLButtonElement>;

/** A button that does nothing while `off` (and says so), keeping the focus. */
export function FocusKeepingButton({ off, onClick, ...rest }: Props & { off: boolean }) {
  return (
    <button
      {...rest}
      aria-disabled={off}
      onClick={(e) => {
        if (off) e.preventDefault();
        else onClick?.(e);
      }}
    />
  );
}

/** A button whose action is under way (`busy`): it ignores presses until the action ends. */
export function BusyButton({ busy, ...rest }: Props & { busy: boolean }) {
  return <FocusKeepingButton off={busy} {...rest} />;
}
