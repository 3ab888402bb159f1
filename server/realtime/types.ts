/** Types shared by the parts of the live-push server (index.ts wires them together). */
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, WatchError } from '../../shared/events.js';
import type { SocketIdentity } from './auth.js';

export interface RealtimeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SocketData {
  identity: SocketIdentity;
  /** key "providerId:date" → the watch's room. */
  watches: Map<string, string>;
  tokens: number;
  refilledAt: number;
  violations: number;
  /** When its connection last took queued packets (performance.now()); see RoomSender. */
  flushedAt: number;
}

export type RealtimeServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type RealtimeSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export function refusal(code: WatchError['code'], message: string): { ok: false; error: WatchError } {
  return { ok: false, error: { code, message } };
}
