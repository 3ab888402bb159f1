/**
 * Billing's charges: one row per completed visit with what a claim needs (patient name and
 * date of birth, date of service, provider, amount, payer, status), filtered by status and
 * date of service, paged, and exported as CSV exactly as shown.
 */
import { useMemo, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Empty, ErrorView, Loading } from '../../components/states.js';
import { download, screensApi, toCsv, type ChargeFilter } from '../../lib/screens-api.js';
import type { Charge } from '../../../../shared/api-types.js';
import { CHARGE_STATUSES } from '../../../../shared/vocabulary.js';
import '../screens.css';
import { FilterSelect } from '../../components/options.js';
import { ColumnHeads } from '../../components/column-heads.js';
import { LoadMore, usePages } from '../../components/pages.js';

const HEADER = ['Patient', 'Date of birth', 'Date of service', 'Provider', 'Amount', 'Payer', 'Status'];

const money = (c: Charge) => (c.amountCents === null ? 'not priced' : `${(c.amountCents / 100).toFixed(2)} ${c.currency}`);
const cells = (c: Charge) => [c.patientName, c.patientDob, c.serviceDate, c.providerName, money(c), c.payer ?? '—', c.status];

export default function BillingScreen() {
  const { api } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const [status, setStatus] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const badRange = from !== '' && to !== '' && from > to;
  const filter: ChargeFilter = { status: status || undefined, from: from || undefined, to: to || undefined, limit: 100 };
  const pages = usePages((before: string | undefined, signal) => sapi.charges({ ...filter, before }, { signal }), JSON.stringify(filter), badRange);
  const { items: rows, error } = pages;

  return (
    <div class="wide-stack">
      <section class="card" aria-labelledby="charges-h">
        <h2 id="charges-h">Charges</h2>
        <div class="toolbar">
          <FilterSelect label="Status" any="Any status" values={CHARGE_STATUSES} value={status} onChange={setStatus} />
          <label>
            Service from
            <input type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
          </label>
          <label>
            Service to
            <input type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
          </label>
          <button type="button" class="secondary" disabled={!rows || rows.length === 0} onClick={() => rows && download('charges.csv', toCsv(HEADER, rows.map(cells)))}>
            Download CSV of the charges shown
          </button>
        </div>
        {badRange && <p class="error" role="alert">"Service from" must not be after "Service to".</p>}
        <p class="hint">A charge opens when a visit is completed. Billing sees the identity a claim needs and nothing clinical.</p>
        {error !== undefined && <ErrorView error={error} retry={pages.reload} what="The charges could not be loaded." />}
        {rows === undefined && error === undefined && !badRange && <Loading />}
        {rows && rows.length === 0 && <Empty>No charges match these filters.</Empty>}
        {rows && rows.length > 0 && (
          <div class="table-wrap">
            <table>
              <caption>Charges, newest date of service first ({rows.length} shown)</caption>
              <ColumnHeads names={HEADER} />
              <tbody>
                {rows.map((c) => (
                  <tr key={c.chargeId}>
                    {cells(c).map((v, i) => (
                      <td key={i}>{v}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <LoadMore pages={pages} label="Load older charges" noun="charges" />
      </section>
    </div>
  );
}
