/**
 * Request headers the dashboard sends to tell the server whose intent a request carries
 * (server/auth/sessions.ts reads them; client/src/lib/api.ts sends them).
 *
 * - BACKGROUND: the page asked on its own (a refetch after a live push, the session check
 *   after a disconnect). Served, but the idle deadline does not move: only a person's
 *   activity may. Sockets never move it at all.
 * - ACTIVITY: the keep-alive the page sends while a person works without making requests.
 *   The idle deadline is then written exactly (no one-minute slack), so the server's
 *   countdown never runs ahead of the page's and the "Stay signed in" warning is honest.
 */
export const BACKGROUND_HEADER = 'x-clinicpulse-background';
export const ACTIVITY_HEADER = 'x-clinicpulse-activity';
