/**
 * oidc-provider's storage contract, in memory, for the development IdP only (one process, lost on
 * restart: exactly what a demo wants). Expired entries are dropped when read and swept now and
 * then; grants index their tokens so revoking a grant revokes them.
 */

type Payload = Record<string, unknown> & { uid?: string; userCode?: string; grantId?: string; consumed?: number };

interface Entry {
  payload: Payload;
  expiresAt: number;
}

const SWEEP_EVERY = 200;

export class DemoStorage {
  readonly entries = new Map<string, Entry>();
  readonly byUid = new Map<string, string>();
  readonly byUserCode = new Map<string, string>();
  readonly grants = new Map<string, Set<string>>();
  private writes = 0;

  sweep(now = Date.now()): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  written(): void {
    this.writes += 1;
    if (this.writes % SWEEP_EVERY === 0) this.sweep();
  }
}

export class DemoAdapter {
  constructor(
    private readonly model: string,
    private readonly storage: DemoStorage,
  ) {}

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
    this.storage.entries.set(key, { payload, expiresAt });
    if (payload.uid) this.storage.byUid.set(payload.uid, id);
    if (payload.userCode) this.storage.byUserCode.set(payload.userCode, id);
    if (payload.grantId) {
      const members = this.storage.grants.get(payload.grantId) ?? new Set<string>();
      members.add(key);
      this.storage.grants.set(payload.grantId, members);
    }
    this.storage.written();
  }

  async find(id: string): Promise<Payload | undefined> {
    const key = this.key(id);
    const entry = this.storage.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.storage.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    const id = this.storage.byUid.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    const id = this.storage.byUserCode.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const entry = this.storage.entries.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.storage.entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.storage.grants.get(grantId) ?? []) this.storage.entries.delete(key);
    this.storage.grants.delete(grantId);
  }
}
