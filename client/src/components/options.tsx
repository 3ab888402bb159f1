/** One `<option>` per value, each labelled by the value itself: the choices of a plain `<select>`. */
export function Options({ values }: { values: readonly string[] }) {
  return (
    <>
      {values.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </>
  );
}

/**
 * A labelled filter choice: `any` (the empty value: no filter, e.g. "Any status") or one of
 * `values`, each labelled by itself.
 */
export function FilterSelect(props: { label: string; any: string; values: readonly string[]; value: string; onChange: (value: string) => void; class?: string }) {
  return (
    <label class={props.class}>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{props.any}</option>
        <Options values={props.values} />
      </select>
    </label>
  );
}
