/** The front desk's workstation (being built): the live day grid of every provider. */
export default function FrontDeskScreen() {
  return <p class="card">The front desk's day grid is being built.</p>;
}
