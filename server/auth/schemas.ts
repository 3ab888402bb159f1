/** Sign-in request and response schemas: the credentials, and the signed-in staff member. */
import { z } from 'zod';
import { STAFF_ROLES } from '../../shared/vocabulary.js';

export const loginBody = z
  .strictObject({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(1024),
  })
  .meta({ id: 'LoginRequest' });

/** Who a staff member is: the fields the signed-in user and a listed account share. */
export const staffIdentity = {
  username: z.string(),
  role: z.enum(STAFF_ROLES),
  providerId: z.number().int().nullable(),
};

export const userSchema = z
  .object({ id: z.number().int(), ...staffIdentity })
  .meta({ id: 'StaffUser' });
