import type { TargetConfig } from './settings.js';

/**
 * The Jitsi side of a target, as an operator copies it: config.js, Prosody's VirtualHost and the
 * docker-jitsi-meet environment that accept exactly the tokens the gateway mints for the target
 * (printed by check-config; README "Wiring Jitsi and Prosody" explains them). Secrets are never
 * printed: the shared secret is named by its setting.
 */
export interface TargetWiring {
  configJs: string[];
  prosody: string[];
  dockerJitsiMeet: string[];
}

export function targetWiring(publicUrl: string, name: string, target: TargetConfig, isDefault: boolean): TargetWiring {
  const select = isDefault ? '' : `&target=${name}`;
  const authUrl = `${publicUrl}/login?room={room}&state={state}${select}`;
  const issuer = target.issuer ?? target.appId;
  const hs = target.algorithm.startsWith('HS');
  const secretRef = `<the value of targets.${name}.secret>`;
  return {
    configJs: [
      `config.tokenAuthUrl = '${authUrl}';`,
      'config.tokenAuthUrlAutoRedirect = true;',
      `config.tokenLogoutUrl = '${publicUrl}/logout${isDefault ? '' : `?target=${name}`}';`,
    ],
    prosody: [
      `VirtualHost "${target.xmppDomain}"`,
      '    authentication = "token"',
      `    app_id = "${target.appId}"`,
      hs ? `    app_secret = "${secretRef}"` : `    asap_key_server = "${publicUrl}/asap"   -- or cache_keys_url = "${publicUrl}/jwks/${name}.json"`,
      `    asap_accepted_issuers = { "${issuer}" }`,
      `    asap_accepted_audiences = { "${target.audience}" }`,
      '    allow_empty_token = false',
    ],
    dockerJitsiMeet: [
      'ENABLE_AUTH=1',
      'AUTH_TYPE=jwt',
      `JWT_APP_ID=${target.appId}`,
      hs ? `JWT_APP_SECRET=${secretRef}` : `JWT_ASAP_KEYSERVER=${publicUrl}/asap`,
      `JWT_ACCEPTED_ISSUERS=${issuer}`,
      `JWT_ACCEPTED_AUDIENCES=${target.audience}`,
      `TOKEN_AUTH_URL=${authUrl}`,
    ],
  };
}
