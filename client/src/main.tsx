/**
 * ClinicPulse dashboard: sign in, then the screen for your role (client/src/screens/<role>/,
 * each loaded on demand so a role downloads only its own screen). The shell around every
 * screen owns the live connection, the idle sign-out, the announcer and the header; a
 * screen gets them through AppContext (components/context.ts). No module-level state.
 */
import { render, type ComponentType } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Session } from './lib/session.js';
import { LiveConnection } from './lib/live.js';
import { IdleGuard } from './lib/idle.js';
import { AppContext, type AppContextValue } from './components/context.js';
import { useAnnouncer } from './components/announcer.js';
import { ConnectionBadge } from './components/connection.js';
import { IdleWarning } from './components/idle-warning.js';
import { SignIn } from './components/sign-in.js';
import { ErrorView, Loading } from './components/states.js';
import type { StaffRoleName } from '../../shared/api-types.js';
import { STAFF_ROLE_LABELS } from '../../shared/vocabulary.js';
import './style.css';

/** The role router: one screen module per role. */
const SCREENS: Record<StaffRoleName, () => Promise<{ default: ComponentType }>> = {
  front_desk: () => import('./screens/frontdesk/index.js'),
  clinician: () => import('./screens/clinician/index.js'),
  manager: () => import('./screens/manager/index.js'),
  compliance: () => import('./screens/compliance/index.js'),
  billing: () => import('./screens/billing/index.js'),
};


function RoleScreen({ role }: { role: StaffRoleName }) {
  const [screen, setScreen] = useState<{ C?: ComponentType; error?: unknown }>({});
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    SCREENS[role]().then(
      (m) => live && setScreen({ C: m.default }),
      (error) => live && setScreen({ error }),
    );
    return () => {
      live = false;
    };
  }, [role, attempt]);
  if (screen.error) return <ErrorView error={screen.error} what="The screen could not be loaded." retry={() => setAttempt((n) => n + 1)} />;
  if (!screen.C) return <Loading />;
  return <screen.C />;
}

function Shell({ session }: { session: Session }) {
  const me = session.me.value!;
  const clock = session.clock.value!;
  const clinic = session.clinic.value!;
  const { announce, regions } = useAnnouncer();
  // The session check after a disconnect is the page's own doing, not the person's.
  const clockRef = useRef(clock);
  clockRef.current = clock;
  const live = useMemo(
    () =>
      new LiveConnection(
        () => session.api.me({ background: true }),
        () => clockRef.current.now(),
      ),
    [session],
  );
  const idle = useMemo(
    () =>
      new IdleGuard(
        clinic.idleSignOutSeconds * 1000,
        () => session.api.me({ activity: true }),
        () => void session.signOut('You were signed out after a period of inactivity.'),
      ),
    [session, clinic],
  );
  useEffect(
    () => () => {
      live.close();
      idle.stop();
    },
    [live, idle],
  );
  const ctx: AppContextValue = useMemo(() => ({ session, api: session.api, me, clock, live, announce }), [session, me, clock, live, announce]);
  return (
    <AppContext.Provider value={ctx}>
      <a class="skip" href="#main">
        Skip to main content
      </a>
      <header class="top">
        <strong>{clinic.name}</strong>
        <span class="who">
          {me.username} · {STAFF_ROLE_LABELS[me.role]}
        </span>
        {clock.browserDiffers && <span class="zone">Clinic time: {clock.zoneLabel}</span>}
        <ConnectionBadge live={live} clock={clock} />
        {session.trouble.value && (
          <span class="badge offline" role="status">
            Server not answering — retrying…
          </span>
        )}
        <button type="button" class="link" onClick={() => void session.signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <RoleScreen role={me.role} />
      </main>
      <IdleWarning guard={idle} />
      {regions}
    </AppContext.Provider>
  );
}

function App() {
  const session = useMemo(() => new Session(), []);
  useEffect(() => void session.start(), [session]);
  const state = session.state.value;
  if (session.startError.value) {
    return (
      <main class="signin">
        <ErrorView error={new Error(session.startError.value)} what="ClinicPulse could not start." retry={() => void session.start()} />
      </main>
    );
  }
  if (state === 'checking') return <Loading label="Starting ClinicPulse…" />;
  if (state === 'signed-out') return <SignIn session={session} />;
  return <Shell key={session.me.value!.id} session={session} />;
}

render(<App />, document.getElementById('app')!);
