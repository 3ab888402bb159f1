/**
 * Billing's charges: one row per completed visit with what a claim needs (patient name and
 * date of birth, date of service, provider, amount, payer, status), filtered by status and
 * date of service, paged, and exported as CSV exactly as shown.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Empty, ErrorView, Loading } from '../../components/states.js';
import { describeError } from '../../lib/api.js';
import { download, screensApi, toCsv, type ChargeFilter } from '../../lib/screens-api.js';
import type { Charge } from '../../../../shared/api-types.js';
import '../screens.css';
import { Options } from '../../components/options.js';
import { ColumnHeads } from '../../components/column-heads.js';

const STATUSES = ['pending', 'submitted', 'paid', 'denied', 'void'] as const;
const HEADER = ['Patient', 'Date of birth', 'Date of service', 'Provider', 'Amount', 'Payer', 'Status'];

const money = (c: Charge) => (c.amountCents === null ? 'not priced' : `${(c.amountCents / 100).toFixed(2)} ${c.currency}`);
const cells = (c: Charge) => [c.patientName, c.patientDob, c.serviceDate, c.providerName, money(c), c.payer ?? '—', c.status];

export default function BillingScreen() {
  const { api } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const [status, setStatus] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [rows, setRows] = useState<Charge[]>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const [moreError, setMoreError] = useState<string>();
  const [nonce, setNonce] = useState(0);
  const badRange = from !== '' && to !== '' && from > to;
  const filter: ChargeFilter = { status: status || undefined, from: from || undefined, to: to || undefined, limit: 100 };

  useEffect(() => {
    if (badRange) return;
    const ctl = new AbortController();
    setRows(undefined);
    setError(undefined);
    sapi.charges(filter, { signal: ctl.signal }).then(
      (r) => (setRows(r.items), setNext(r.nextBefore)),
      (err) => !ctl.signal.aborted && setError(err),
    );
    return () => ctl.abort();
  }, [status, from, to, nonce]);

  const more = async () => {
    if (!next) return;
    setMoreError(undefined);
    try {
      const r = await sapi.charges({ ...filter, before: next });
      setRows((list) => [...(list ?? []), ...r.items]);
      setNext(r.nextBefore);
    } catch (err) {
      setMoreError(describeError(err));
    }
  };

  return (
    <div class="wide-stack">
      <section class="card" aria-labelledby="charges-h">
        <h2 id="charges-h">Charges</h2>
        <div class="toolbar">
          <label>
            Status
            <select value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">Any status</option>
              <Options values={STATUSES} />
            </select>
          </label>
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
        {badRange && <p class="error">"Service from" must not be after "Service to".</p>}
        <p class="hint">A charge opens when a visit is completed. Billing sees the identity a claim needs and nothing clinical.</p>
        {error !== undefined && <ErrorView error={error} retry={() => setNonce((n) => n + 1)} what="The charges could not be loaded." />}
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
        {next && (
          <div class="actions">
            <button type="button" class="secondary" onClick={() => void more()}>
              Load older charges
            </button>
          </div>
        )}
        {moreError && <p class="error">{moreError}</p>}
      </section>
    </div>
  );
}
