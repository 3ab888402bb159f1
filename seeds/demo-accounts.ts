/**
 * One demo staff account per role, created only right after the service itself
 * loaded the demo data into an empty database (never in production, never in a
 * database it did not seed). The password is public (README): demo use only.
 * The clinician is linked to the provider who works the most days of the week (the
 * demo's every-day practice), then the one with the most appointments today, so their
 * schedule has patients on any day, weekends included.
 */
import type { Knex } from 'knex';
import { hashPassword } from '../server/auth/passwords.js';
import type { StaffRole } from '../server/db/index.js';

export const DEMO_PASSWORD = 'clinicpulse-demo';

export interface DemoAccount {
  username: string;
  role: StaffRole;
  providerId: number | null;
}

export const DEMO_USERNAMES: Record<StaffRole, string> = {
  front_desk: 'frontdesk',
  clinician: 'clinician',
  billing: 'billing',
  manager: 'manager',
  compliance: 'compliance',
};

async function busiestProviderToday(admin: Knex): Promise<number | null> {
  const { rows } = await admin.raw<{ rows: { provider_id: number }[] }>(`
    SELECT p.provider_id
    FROM providers p
    LEFT JOIN appointments a ON a.provider_id = p.provider_id
      AND a.scheduled_at >= lower(clinic_day_range(clinic_day(now())))
      AND a.scheduled_at < upper(clinic_day_range(clinic_day(now())))
      AND a.status <> 'cancelled'
    GROUP BY p.provider_id
    ORDER BY (SELECT count(DISTINCT w.iso_weekday) FROM provider_working_hours w WHERE w.provider_id = p.provider_id) DESC,
             count(a.appointment_id) DESC, p.provider_id
    LIMIT 1`);
  return rows[0]?.provider_id ?? null;
}

/** Create the demo accounts (skipping any username already taken); returns them. */
export async function createDemoAccounts(admin: Knex): Promise<DemoAccount[]> {
  const providerId = await busiestProviderToday(admin);
  const accounts: DemoAccount[] = [];
  for (const [role, username] of Object.entries(DEMO_USERNAMES) as [StaffRole, string][]) {
    if (role === 'clinician' && providerId === null) continue;
    const hash = await hashPassword(DEMO_PASSWORD);
    const pid = role === 'clinician' ? providerId : null;
    await admin.raw(
      `INSERT INTO staff_users (username, role, provider_id, password_hash) VALUES (?, ?, ?, ?)
       ON CONFLICT (username) DO NOTHING`,
      [username, role, pid, hash],
    );
    accounts.push({ username, role, providerId: pid });
  }
  return accounts;
}

/** The demo accounts still present and active (for the start-up banner). */
export async function activeDemoAccounts(admin: Knex): Promise<DemoAccount[]> {
  const { rows } = await admin.raw<{ rows: { username: string; role: StaffRole; provider_id: number | null }[] }>(
    `SELECT username, role, provider_id FROM staff_users WHERE active AND username = ANY(?) ORDER BY user_id`,
    [Object.values(DEMO_USERNAMES)],
  );
  return rows.map((r) => ({ username: r.username, role: r.role, providerId: r.provider_id }));
}
