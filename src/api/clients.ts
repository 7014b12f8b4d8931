import type { ApiClientConfig, ApiOperation } from '../config/api.js';
import { GatewayError } from '../errors/gateway-error.js';
import { compileGlob, normalizeRoomForGlob, type RoomGlob } from '../policy/glob.js';
import type { JitsiTarget, RoomLocation } from '../tokens/target.js';
import { parseSecretHash, type SecretHash } from './secrets.js';

/**
 * One configured API client with its scopes compiled once: which operations, targets, tenants and
 * rooms it may use, whether it may hand out moderator rights, its longest token lifetime.
 * Every check throws a 403 GatewayError that says which scope was exceeded (never a token).
 */
export class ApiClient {
  readonly secretHash: SecretHash | undefined;
  private readonly operations: ReadonlySet<ApiOperation>;
  private readonly targets: ReadonlySet<string> | undefined;
  private readonly tenants: ReadonlySet<string> | undefined;
  private readonly rooms: readonly RoomGlob[];
  /** A room scope of `*`: every room (no normalising per request). */
  private readonly everyRoom: boolean;
  /** Audit and metrics label: `api:<client>`. */
  readonly principal: string;
  private readonly mayBypassLobby: boolean;
  /** Features it may turn on; undefined: every feature. */
  private readonly features: ReadonlySet<string> | undefined;

  constructor(
    readonly name: string,
    readonly config: ApiClientConfig,
  ) {
    this.secretHash = config.secretHash === undefined ? undefined : parseSecretHash(config.secretHash);
    this.operations = new Set(config.operations);
    this.targets = config.targets ? new Set(config.targets) : undefined;
    this.tenants = config.tenants ? new Set(config.tenants) : undefined;
    this.rooms = config.rooms.map(compileGlob);
    this.everyRoom = this.rooms.some((glob) => glob.matchesEverything);
    this.principal = `api:${name}`;
    this.mayBypassLobby = config.mayBypassLobby ?? config.mayIssueModerator;
    this.features = config.features ? new Set(config.features) : config.mayIssueModerator ? undefined : new Set();
  }

  /**
   * What the client puts into a token beyond the role (tokens and invites): lobby bypass and
   * features it turns on are rights, bounded by its scope like moderator rights. Turning a feature
   * off only takes a right away, so it is always allowed.
   */
  assertTokenContents(contents: { lobbyBypass?: boolean | undefined; features?: Readonly<Record<string, boolean | undefined>> | undefined }): void {
    if (contents.lobbyBypass === true && !this.mayBypassLobby) {
      throw this.forbidden('This API client may not let people bypass the lobby (lobbyBypass: true needs mayBypassLobby).', { field: 'lobbyBypass' });
    }
    if (contents.features === undefined || this.features === undefined) return;
    const allowed = this.features;
    const refused = Object.entries(contents.features)
      .filter(([feature, on]) => on === true && !allowed.has(feature))
      .map(([feature]) => feature);
    if (refused.length > 0) {
      throw this.forbidden(`This API client may not turn on ${refused.join(', ')} (api.clients.${this.name}.features).`, { field: 'features', refused: refused.join(',') });
    }
  }

  assertOperation(operation: ApiOperation): void {
    if (!this.operations.has(operation)) {
      throw this.forbidden(`This API client may not use the ${operation} API.`, { operation });
    }
  }

  /** Checks a requested target before anything else is looked at. */
  assertTarget(target: string): void {
    if (this.targets && !this.targets.has(target)) throw this.forbidden('This API client may not use this Jitsi target.', { target });
  }

  /** Target, tenant and room scopes of a located (already validated) room. */
  assertLocation(location: RoomLocation): void {
    this.assertTarget(location.target);
    const tenant = location.tenant ?? '-';
    if (this.tenants && !this.tenants.has(tenant)) {
      throw this.forbidden(location.tenant ? 'This API client may not use this tenant.' : 'This API client may only use rooms under its tenants.', { tenant });
    }
    if (this.everyRoom) return;
    const room = normalizeRoomForGlob(location.room);
    if (!this.rooms.some((glob) => glob.test(room))) throw this.forbidden('This API client may not use this room.', { roomLength: room.length });
  }

  assertModerator(moderator: boolean): void {
    if (moderator && !this.config.mayIssueModerator) {
      throw this.forbidden('This API client may only hand out participant rights (mayIssueModerator is false).', {});
    }
  }

  /** The token lifetime for a request: the asked one (or the default) within both caps; above → 403. */
  tokenTtl(requested: number | undefined, target: JitsiTarget): number {
    const cap = Math.min(this.config.maxTtlSeconds, target.config.maxTokenTtlSeconds);
    if (requested === undefined) return Math.min(target.config.tokenTtlSeconds, cap);
    if (requested > cap) {
      throw this.forbidden(`ttlSeconds may be at most ${cap} for this API client and target.`, { requested, cap });
    }
    return requested;
  }

  private forbidden(message: string, detail: Record<string, unknown>): GatewayError {
    return new GatewayError('forbidden', message, { detail: { client: this.name, ...detail } });
  }
}

export function createApiClients(clients: Readonly<Record<string, ApiClientConfig>>): Map<string, ApiClient> {
  return new Map(Object.entries(clients).map(([name, config]) => [name, new ApiClient(name, config)]));
}
