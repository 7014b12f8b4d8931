import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/commands/doctor.js';
import { auditProsodyConfig, parseProsodyConfig } from '../../src/doctor/prosody-config.js';

/**
 * `doctor --prosody-config`: the Prosody settings the wait-for-host journey depends on, read from
 * a configuration laid out like jitsi-meet's Debian template / docker-jitsi-meet's rendered
 * jitsi-meet.cfg.lua. `good` is the configuration docs/jitsi.md gives; each case breaks one thing.
 */

const config = (o: { autoOwners?: string; affiliation?: boolean; emptyToken?: string; allowlist?: boolean; lobby?: boolean; mucEmptyToken?: boolean } = {}) => `
-- Prosody configuration for meet.example.com
plugin_paths = { "/usr/share/jitsi-meet/prosody-plugins/" }
muc_mapper_domain_base = "meet.example.com";
external_service_secret = "s3cr3t";  -- a comment with "quotes"
--[[ a block comment
VirtualHost "commented.example.com"
]]

VirtualHost "meet.example.com"
    authentication = "token"
    app_id = "jitsi-sso"
    app_secret = "${'x'.repeat(40)}"
    allow_empty_token = ${o.emptyToken ?? 'false'}
    modules_enabled = {
        "bosh";
        "ping"; -- Enable mod_ping
        ${o.lobby === false ? '' : '"persistent_lobby";'}
        "muc_lobby_rooms";
    }
    main_muc = "conference.meet.example.com"
    lobby_muc = "lobby.meet.example.com"
    c2s_require_encryption = false

VirtualHost "guest.meet.example.com"
    authentication = "jitsi-anonymous"
    c2s_require_encryption = false

Component "conference.meet.example.com" "muc"
    restrict_room_creation = true
    storage = "memory"
    modules_enabled = {
        "muc_hide_all";
        "muc_meeting_id";
        "token_verification";
        ${o.affiliation === false ? '' : '"token_affiliation";'}
        "muc_wait_for_host";
        "muc_rate_limit";
    }
    admins = { "focus@auth.meet.example.com" }
    muc_room_locking = false
    muc_room_default_public_jids = true
    ${o.autoOwners === undefined ? 'wait_for_host_disable_auto_owners = true' : o.autoOwners}
    ${o.allowlist === false ? '' : 'token_verification_allowlist = { "guest.meet.example.com" }'}
    ${o.mucEmptyToken ? 'allow_empty_token = true' : ''}

Component "lobby.meet.example.com" "muc"
    storage = "memory"
    restrict_room_creation = true
    muc_room_locking = false
`;

const codes = (text: string) => auditProsodyConfig(parseProsodyConfig(text)).map((finding) => `${finding.code} @ ${finding.where}`);

describe('reading a Prosody configuration', () => {
  it('understands sections, options, lists, comments and skips what it cannot read', () => {
    const parsed = parseProsodyConfig(`${config()}\nsome_call(1, { 2 })\nnumber_option = 5 + 3\nafter = "still read"`);
    expect(parsed.global.options.get('muc_mapper_domain_base')).toBe('meet.example.com');
    expect(parsed.sections.map((section) => `${section.kind} ${section.name} ${section.type ?? ''}`.trim())).toEqual([
      'VirtualHost meet.example.com',
      'VirtualHost guest.meet.example.com',
      'Component conference.meet.example.com muc',
      'Component lobby.meet.example.com muc',
    ]);
    const conference = parsed.sections[2];
    expect(conference?.options.get('modules_enabled')).toContain('muc_wait_for_host');
    expect(conference?.options.get('token_verification_allowlist')).toEqual(['guest.meet.example.com']);
    expect(conference?.options.get('wait_for_host_disable_auto_owners')).toBe(true);
    expect(parsed.sections[3]?.options.get('after')).toBe('still read');
  });
});

describe('doctor --prosody-config', () => {
  it.each([
    ['the documented configuration', {}, []],
    ['wait for host with auto owners (the default)', { autoOwners: '' }, ['wait-for-host-auto-owners @ Component "conference.meet.example.com"']],
    ['auto owners explicitly on', { autoOwners: 'wait_for_host_disable_auto_owners = false' }, ['wait-for-host-auto-owners @ Component "conference.meet.example.com"']],
    ['allow_empty_token on the main domain', { emptyToken: 'true' }, ['allow-empty-token @ VirtualHost "meet.example.com"']],
    ['allow_empty_token on the MUC', { mucEmptyToken: true }, ['allow-empty-token @ Component "conference.meet.example.com"']],
    ['guests not allowlisted', { allowlist: false }, ['guests-not-allowlisted @ Component "conference.meet.example.com"']],
    ['no token_affiliation', { affiliation: false }, ['wait-for-host-without-token-affiliation @ Component "conference.meet.example.com"']],
    ['no persistent_lobby', { lobby: false }, ['wait-for-host-without-persistent-lobby @ VirtualHost "meet.example.com"']],
  ])('%s', (_what, options, expected) => {
    expect(codes(config(options))).toEqual(expected);
  });

  it('the command prints the findings and exits 1 on a warning, 0 on a good configuration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jsg-prosody-'));
    const bad = join(dir, 'bad.cfg.lua');
    const good = join(dir, 'good.cfg.lua');
    writeFileSync(bad, config({ autoOwners: '', emptyToken: 'true' }));
    writeFileSync(good, config());
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as typeof process.stdout.write;
    try {
      expect(await run(['--prosody-config', bad])).toBe(1);
      expect(await run(['--prosody-config', good])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out[0]).toContain('warning wait-for-host-auto-owners (Component "conference.meet.example.com")');
    expect(out[0]).toContain('warning allow-empty-token (VirtualHost "meet.example.com")');
    expect(out[1]).toContain('no problems found');
  });
});

it('the Prosody configuration docs/jitsi.md gives for guests who wait for a host passes the audit', () => {
  const doc = readFileSync(new URL('../../docs/jitsi.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## 1. Guests wait for a host'), doc.indexOf('## 2.'));
  const lua = /```lua\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  expect(lua).toContain('muc_wait_for_host');
  expect(codes(lua)).toEqual([]);
  // ...and the same file with the module's default left in place is caught.
  expect(codes(lua.replace('wait_for_host_disable_auto_owners = true', ''))).toEqual(['wait-for-host-auto-owners @ Component "conference.meet.example.com"']);
});
