/** The audit channel's payloads as the listener reads them (server/realtime/listener.ts). */
import { describe, expect, it } from 'vitest';
import { parseAuditPayload } from '../../server/realtime/listener.js';

describe('audit notification payloads', () => {
  it("read one id, or a bulk statement's '<first>-<last>' range", () => {
    expect(parseAuditPayload('42')).toEqual({ first: 42, last: 42 });
    expect(parseAuditPayload('1001-2200')).toEqual({ first: 1001, last: 2200 });
  });

  it('refuse anything else rather than guess', () => {
    for (const bad of ['', 'NaN', '12-', '-12', '20-10', '1.5', '1-2-3', '99999999999999999999']) {
      expect(parseAuditPayload(bad), bad).toBeUndefined();
    }
  });
});
