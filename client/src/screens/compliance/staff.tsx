/** Staff accounts: role, provider link and status; deactivate (their sessions end at once). Creation stays on the command line. */
import { useMemo, useState } from 'preact/hooks';
import { useApp } from '../../components/context.js';
import { Confirm } from '../../components/dialog.js';
import { ErrorView, Loading, Outcome, useResource } from '../../components/states.js';
import { describeError } from '../../lib/api.js';
import { screensApi } from '../../lib/screens-api.js';
import type { StaffAccount } from '../../../../shared/api-types.js';
import { STAFF_ROLE_LABELS } from '../../../../shared/vocabulary.js';
import { ColumnHeads } from '../../components/column-heads.js';

export function StaffAccounts() {
  const { api, me, clock, announce } = useApp();
  const sapi = useMemo(() => screensApi(api), [api]);
  const list = useResource((signal) => sapi.staff({ signal }), []);
  const [target, setTarget] = useState<StaffAccount>();
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  const deactivate = async (a: StaffAccount) => {
    setTarget(undefined);
    try {
      const { outcome } = await sapi.deactivate(a.userId);
      // The list is not live: another officer may have done it first, and this screen must not claim it.
      const text =
        outcome === 'already_inactive'
          ? `${a.username} was already deactivated (perhaps by another compliance officer); nothing was changed.`
          : `${a.username} was deactivated; their sessions have ended.`;
      setMessage({ ok: true, text });
      announce(text);
      list.reload();
    } catch (err) {
      const text = `${a.username} was not deactivated: ${describeError(err)}`;
      setMessage({ ok: false, text });
      announce(text, 'assertive');
    }
  };

  return (
    <section class="card" aria-labelledby="staff-h">
      <h2 id="staff-h">Staff accounts</h2>
      <p class="hint">
        New accounts are created on the command line by an administrator (<code>npm run user -- create --username … --role …</code>), because creating
        one sets a password; this screen never handles passwords.
      </p>
      {message && <Outcome ok={message.ok} text={message.text} />}
      {list.status === 'error' && <ErrorView error={list.error} retry={list.reload} what="The accounts could not be loaded." />}
      {!list.data && list.status === 'loading' && <Loading />}
      {list.data && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Staff accounts</caption>
            <ColumnHeads names={['Username', 'Role', 'Provider', 'Status', 'Action']} />
            <tbody>
              {list.data.map((a) => (
                <tr key={a.userId}>
                  <td>{a.username}</td>
                  <td>{STAFF_ROLE_LABELS[a.role]}</td>
                  <td>{a.providerName ?? '—'}</td>
                  <td>{a.active ? 'Active' : `Deactivated ${a.deactivatedAt ? `${clock.wall(a.deactivatedAt).date} ${clock.timeLabelled(a.deactivatedAt)}` : ''}`}</td>
                  <td>
                    {a.active && a.userId !== me.id && (
                      <button type="button" class="danger" onClick={() => setTarget(a)}>
                        Deactivate {a.username}
                      </button>
                    )}
                    {a.userId === me.id && <span class="hint">you</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {target && (
        <Confirm
          title={`Deactivate ${target.username}?`}
          message={`${target.username} (${STAFF_ROLE_LABELS[target.role]}) is signed out everywhere at once and can no longer sign in. Reactivating takes an administrator.`}
          confirmLabel={`Deactivate ${target.username}`}
          onConfirm={() => void deactivate(target)}
          onClose={() => setTarget(undefined)}
        />
      )}
    </section>
  );
}
