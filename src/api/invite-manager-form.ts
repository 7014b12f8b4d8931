import type { ApiConfig } from '../config/api.js';
import { GatewayError } from '../errors/gateway-error.js';
import { MAX_INVITE_LABEL, inviteRequestSchema, parseBody, type InviteRequestBody } from './schemas.js';
import { INVITE_ID_PATTERN, INVITE_ROLES, type InviteRole } from '../invites/invites.js';

/**
 * The fields of the moderator's invite page (src/api/invite-manager.ts) as the API's request body.
 * Only what is particular to an HTML form is checked here (text to numbers, an empty note is no
 * note); the body then goes through the API's own schema and createInvite, which decide about
 * uses, lifetime and label exactly as for JSON callers.
 */

/** What the person entered, shown again with a problem. */
export interface EnteredInvite {
  role: InviteRole;
  uses: string;
  ttlSeconds: string;
  label: string;
}

export type ManageAction =
  | { kind: 'create'; body: InviteRequestBody; entered: EnteredInvite }
  | { kind: 'create'; problem: string; entered: EnteredInvite }
  | { kind: 'revoke'; id: string }
  | { kind: 'unknown' };

/** Where the invite goes: taken from the page's address, never from the form. */
export interface RoomRequest {
  target?: string | undefined;
  tenant?: string | undefined;
  room: string;
}

const WHOLE_NUMBER = /^\d{1,9}$/;

export function readManageForm(form: URLSearchParams, where: RoomRequest): ManageAction {
  const action = form.get('action');
  if (action === 'revoke') {
    const id = form.get('id') ?? '';
    // A malformed id is "not yours" like an unknown one: revokeInvite answers 404 for both.
    return { kind: 'revoke', id: INVITE_ID_PATTERN.test(id) ? id : '' };
  }
  if (action !== 'create') return { kind: 'unknown' };
  const role = (INVITE_ROLES as readonly string[]).includes(form.get('role') ?? '') ? (form.get('role') as InviteRole) : 'participant';
  const entered: EnteredInvite = {
    role,
    uses: (form.get('uses') ?? '').trim().slice(0, 12),
    ttlSeconds: (form.get('ttlSeconds') ?? '').trim().slice(0, 12),
    label: (form.get('label') ?? '').normalize('NFC').replace(/\s+/gu, ' ').trim(),
  };
  if (form.has('role') && form.get('role') !== role) return { kind: 'create', problem: 'Please choose how guests join.', entered };
  if (!WHOLE_NUMBER.test(entered.uses)) return { kind: 'create', problem: 'Please enter the number of guests as a whole number.', entered };
  if (!WHOLE_NUMBER.test(entered.ttlSeconds)) return { kind: 'create', problem: 'Please choose how long the link is valid.', entered };
  if (Array.from(entered.label).length > MAX_INVITE_LABEL) {
    return { kind: 'create', problem: `Please use at most ${MAX_INVITE_LABEL} characters for the note.`, entered: { ...entered, label: entered.label.slice(0, MAX_INVITE_LABEL) } };
  }
  try {
    const body = parseBody(inviteRequestSchema, {
      ...(where.target !== undefined ? { target: where.target } : {}),
      ...(where.tenant !== undefined ? { tenant: where.tenant } : {}),
      room: where.room,
      role,
      uses: Number(entered.uses),
      ttlSeconds: Number(entered.ttlSeconds),
      ...(entered.label !== '' ? { label: entered.label } : {}),
    });
    return { kind: 'create', body, entered };
  } catch (error) {
    if (error instanceof GatewayError && error.code === 'invalid_request') return { kind: 'create', problem: error.message, entered };
    throw error;
  }
}

/** Fixed choices for "valid for", in seconds: up to the configured maximum, with the default. */
const VALIDITY_PRESETS = [3600, 4 * 3600, 86400, 7 * 86400, 30 * 86400];

export function validityChoices(settings: ApiConfig['invites']): number[] {
  const choices = new Set(VALIDITY_PRESETS.filter((seconds) => seconds <= settings.maxTtlSeconds));
  choices.add(settings.defaultTtlSeconds);
  return [...choices].sort((a, b) => a - b);
}
