/** PLACEHOLDER billing screen (the billing screen replaces it): nothing is pushed live to billing yet. */
export default function BillingScreen() {
  return (
    <p class="card">
      Nothing is pushed live to your role. Use the API reference at <a href="/api/docs">/api/docs</a>.
    </p>
  );
}
