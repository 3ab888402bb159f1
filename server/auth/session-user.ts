/**
 * The signed-in staff member as the API and the socket layer see them, and what a
 * session row carries. The session stores only ids; the user's current role,
 * provider and active flag are re-read from the database on every request.
 */
import type { StaffRole } from '../db/index.js';

export interface SessionUser {
  id: number;
  username: string;
  role: StaffRole;
  /** The provider a clinician account is linked to; null for other roles. */
  providerId: number | null;
}

declare module 'express-session' {
  interface SessionData {
    userId: number;
    /** The role at sign-in; a change of role in the database ends the session. */
    role: StaffRole;
    /** Epoch ms of sign-in, for the absolute lifetime. */
    issuedAt: number;
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the session middleware when the request carries a valid, current session. */
    staffUser?: SessionUser;
  }
}
