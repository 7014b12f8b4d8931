import { describe, expect, it } from 'vitest';
import { FORM_TTL_SECONDS, InviteFormTokens } from '../../src/invites/csrf.js';
import { MemoryStore } from '../../src/store/memory.js';

describe('invite form tokens', () => {
  const setup = () => {
    let now = 1_800_000_000;
    const store = new MemoryStore();
    return { store, tokens: new InviteFormTokens(store, () => now), advance: (seconds: number) => (now += seconds) };
  };

  it('a token issued for an invite is accepted once, with the same cookie', async () => {
    const { tokens } = setup();
    const token = await tokens.issue('invite-a');
    expect(await tokens.redeem('invite-a', token, token)).toBe(true);
    expect(await tokens.redeem('invite-a', token, token)).toBe(false);
  });

  it.each<[string, (token: string) => [string, string, string]]>([
    ['another invite', (token) => ['invite-b', token, token]],
    ['a different cookie', (token) => ['invite-a', token, `${token}x`]],
    ['no cookie', (token) => ['invite-a', token, '']],
    ['a changed nonce', (token) => {
      const [issued, , mac] = token.split('.');
      const forged = `${issued}.${'A'.repeat(22)}.${mac}`;
      return ['invite-a', forged, forged];
    }],
    ['a changed issue time', (token) => {
      const [issued, nonce, mac] = token.split('.');
      const forged = `${Number(issued) + 100}.${nonce}.${mac}`;
      return ['invite-a', forged, forged];
    }],
    ['garbage', () => ['invite-a', 'x', 'x']],
  ])('refuses %s', async (_what, change) => {
    const { tokens } = setup();
    const [invite, form, cookie] = change(await tokens.issue('invite-a'));
    expect(await tokens.redeem(invite, form, cookie)).toBe(false);
  });

  it('expires after FORM_TTL_SECONDS', async () => {
    const { tokens, advance } = setup();
    const fresh = await tokens.issue('invite-a');
    const stale = await tokens.issue('invite-a');
    advance(FORM_TTL_SECONDS);
    expect(await tokens.redeem('invite-a', fresh, fresh)).toBe(true);
    advance(1);
    expect(await tokens.redeem('invite-a', stale, stale)).toBe(false);
  });

  it('replicas sharing the store accept each other\'s tokens; the page view writes only the day key', async () => {
    const { store } = setup();
    const a = new InviteFormTokens(store);
    const b = new InviteFormTokens(store);
    const token = await a.issue('invite-a');
    await a.issue('invite-a');
    expect(store.size).toBe(1);
    expect(await b.redeem('invite-a', token, token)).toBe(true);
    expect(await a.redeem('invite-a', token, token)).toBe(false);
  });
});
