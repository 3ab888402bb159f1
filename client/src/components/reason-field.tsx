/**
 * A required reason typed in a textarea, named by its wrapping label. Below it stands the
 * field's error when there is one, else a hint; the textarea is described by whichever shows
 * (`<id>-error` or `<id>-hint`).
 */
export function ReasonField(props: { id: string; label: string; hint: string; value: string; error: string | undefined; onInput: (value: string) => void }) {
  const { id, error } = props;
  return (
    <label>
      {props.label}
      <textarea
        rows={2}
        value={props.value}
        aria-required="true"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : `${id}-hint`}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      {error ? (
        <span id={`${id}-error`} class="field-error" role="alert">
          {error}
        </span>
      ) : (
        <span id={`${id}-hint`} class="hint">
          {props.hint}
        </span>
      )}
    </label>
  );
}
