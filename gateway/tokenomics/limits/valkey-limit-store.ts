/**
 * The shared limit store: every replica talks to one Valkey/Redis through one Lua script, atomic on the
 * server, so limits and budgets hold exactly across replicas. The settles and admits a replica issues in
 * one turn of its event loop go out together, as one script call, when the turn's I/O callbacks are done
 * (`setImmediate`): under load, one command and one reply carry the limit work of many requests, and the
 * settles go first, so an admit never finds a slot held that an earlier call of this replica freed.
 *
 * Needs a standalone (or primary/replica) Valkey/Redis: a script touches the keys of several scopes. On a
 * cluster, give a prefix with a hash tag (`{switchyard}:`) so every key lives in one slot.
 *
 * When Valkey cannot be reached, `admit` and `settle` reject (after `commandTimeoutMs` at most); the caller
 * decides whether to fail closed (503) or open.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'iovalkey';
import { rejectedDecision, windowHeaders } from './decisions';
import type { WindowFigures } from './decisions';
import {
  DEFAULT_BUDGET_IDLE_TTL_MS,
  DEFAULT_IN_FLIGHT_TTL_MS,
  assertActualUsage,
  assertAdmitRequest,
  limitOf,
  nanoToUsd,
  usdToNano,
  wholeLimitOf,
} from './limit-store';
import type {
  ActualUsage,
  AdmitDecision,
  AdmitRequest,
  LimitKind,
  LimitScope,
  LimitStore,
  LimitStoreProps,
  LimitTicket,
  ScopeUsage,
} from './limit-store';
import type { ValkeyConnection } from './valkey-connection';
import { BATCH_SCRIPT, USAGE_SCRIPT } from './valkey-scripts';

export interface ValkeyLimitStoreProps extends LimitStoreProps {
  /**
   * `redis://[user:password@]host:port[/db]` or `rediss://…`.
   * @default - required unless `client` is given
   */
  readonly url?: string;
  /**
   * Where Valkey is: a URL, or a Sentinel master set (see `valkeyConnectionFromEnvironment`).
   * @default - `url`
   */
  readonly connection?: ValkeyConnection;
  /**
   * An existing client to use instead of opening one from `url`; it is not closed by `close()`.
   * @default - a client opened from `url`
   */
  readonly client?: Redis;
  /**
   * Prepended to every key. Use a hash tag (`{switchyard}:`) on a cluster.
   * @default 'switchyard:'
   */
  readonly keyPrefix?: string;
  /**
   * How long a command may take before it fails (for clients opened from `url`).
   * @default 2000
   */
  readonly commandTimeoutMs?: number;
  /**
   * Told about connection errors (commands fail on their own; this is for logs).
   * @default - ignored
   */
  readonly onError?: (error: unknown) => void;
}

type ScriptReply = Array<number | string | null>;

interface LimitCommands {
  /** Arrays are flattened into the command's arguments. */
  switchyardLimitBatch(keyCount: string, keys: readonly string[], args: readonly string[]): Promise<ScriptReply[]>;
  switchyardLimitUsage(keyCount: string, keys: readonly string[], nowMs: string): Promise<ScriptReply>;
}

const NO_LIMIT = '-1';
/** At most this many admits and settles per script call (keeps one call short on the server). */
const MAX_ENTRIES_PER_CALL = 128;

/** A scope's part of a script call: its keys and its limits. */
interface ScopeWire {
  /** The scope's id, which a rejection names. */
  readonly id: string;
  /** `rpm`, `tpm`, `par`, `spend`. */
  readonly keys: readonly string[];
  /** The scope's state in Valkey: its spend key, which carries the id and the budget period. */
  readonly slot: string;
  /** `<rpm> <tpm> <max parallel> <max budget nano-USD> <max budget tokens> <seed spend nano-USD> <seed spend tokens>`. */
  readonly limits: string;
  /** TPM, parallel slots or a budget: settling has work to do. */
  readonly needsSettle: boolean;
}

/** The limited scopes of a scope list, as a script call carries them. */
interface ScopeListWire {
  readonly scopes: readonly ScopeWire[];
  readonly needsSettle: boolean;
}

interface PendingSettle {
  readonly ticket: ValkeyTicket;
  readonly actual: ActualUsage;
  readonly nowMs: number;
  resolve(): void;
  reject(error: unknown): void;
}

interface PendingAdmit {
  readonly ticket: ValkeyTicket;
  readonly nowMs: number;
  readonly cost: string;
  readonly tokens: string;
  resolve(decision: AdmitDecision): void;
  reject(error: unknown): void;
}

class ValkeyTicket implements LimitTicket {
  settled = false;

  constructor(
    readonly requestId: string,
    readonly worstCaseCost: number,
    readonly worstCaseTokens: number,
    readonly id: string,
    /** The scopes it was admitted under (settled with the same ones). */
    readonly list: ScopeListWire,
  ) {}
}

/** One script call's slots (scope states) and lists, numbered from 1 as the script reads them. */
class CallLayout {
  readonly keys: string[] = [];
  readonly listArgs: string[] = [];
  private readonly slots = new Map<string, number>();
  private readonly lists = new Map<ScopeListWire, number>();

  get slotCount(): number {
    return this.slots.size;
  }

  get listCount(): number {
    return this.lists.size;
  }

  /** The list's number in this call, adding it (and its slots) the first time. */
  listOf(list: ScopeListWire): string {
    let index = this.lists.get(list);
    if (index === undefined) {
      index = this.lists.size + 1;
      this.lists.set(list, index);
      this.listArgs.push(String(list.scopes.length));
      for (const scope of list.scopes) {
        let slot = this.slots.get(scope.slot);
        if (slot === undefined) {
          slot = this.slots.size + 1;
          this.slots.set(scope.slot, slot);
          for (const key of scope.keys) this.keys.push(key);
        }
        this.listArgs.push(`${slot} ${scope.limits}`);
      }
    }
    return String(index);
  }
}

export class ValkeyLimitStore implements LimitStore {
  private readonly client: Redis;
  private readonly commands: LimitCommands;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly inFlightTtlMs: string;
  private readonly budgetIdleTtlMs: string;
  /** Ticket ids are `<store instance>.<sequence>`: unique across replicas without coordination. */
  private readonly instanceId = randomBytes(6).toString('base64url');
  private nextTicket = 1;
  private pendingSettles: PendingSettle[] = [];
  private pendingAdmits: PendingAdmit[] = [];
  private readonly wires = new WeakMap<LimitScope, ScopeWire | null>();
  private readonly listWires = new WeakMap<readonly LimitScope[], ScopeListWire>();
  private flushQueued = false;
  private readonly flushNow = (): void => this.flush();
  private readonly callsInFlight = new Set<Promise<unknown>>();

  constructor(props: ValkeyLimitStoreProps) {
    if (props.client !== undefined) {
      this.client = props.client;
      this.ownsClient = false;
    } else {
      const connection = props.connection ?? (props.url !== undefined && props.url !== '' ? { url: props.url } : undefined);
      if (connection === undefined) throw new Error('ValkeyLimitStore needs a url (redis://host:port), a Sentinel connection or a client');
      const options = {
        commandTimeout: props.commandTimeoutMs ?? 2000,
        maxRetriesPerRequest: 1,
        // The store batches its own calls (one per event-loop turn); the client writes each at once.
        enableAutoPipelining: false,
      };
      this.client =
        'url' in connection
          ? new Redis(connection.url, options)
          : new Redis({
              ...options,
              // Sentinel: the client asks the sentinels for the master and follows it across failovers.
              sentinels: connection.sentinels.map((node) => ({ host: node.host, port: node.port })),
              name: connection.name,
              ...(connection.username === undefined ? {} : { username: connection.username }),
              ...(connection.password === undefined ? {} : { password: connection.password }),
              ...(connection.sentinelPassword === undefined ? {} : { sentinelPassword: connection.sentinelPassword }),
              ...(connection.tls === true ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
            });
      this.ownsClient = true;
    }
    const onError = props.onError;
    this.client.on('error', (error: unknown) => onError?.(error));
    this.prefix = props.keyPrefix ?? 'switchyard:';
    this.inFlightTtlMs = String(Math.ceil(props.inFlightTtlMs ?? DEFAULT_IN_FLIGHT_TTL_MS));
    this.budgetIdleTtlMs = String(Math.ceil(props.budgetIdleTtlMs ?? DEFAULT_BUDGET_IDLE_TTL_MS));
    // defineCommand runs EVALSHA and falls back to EVAL when the server does not know the script yet.
    this.client.defineCommand('switchyardLimitBatch', { lua: BATCH_SCRIPT });
    this.client.defineCommand('switchyardLimitUsage', { lua: USAGE_SCRIPT });
    this.commands = this.client as unknown as LimitCommands;
  }

  admit(request: AdmitRequest): Promise<AdmitDecision> {
    try {
      assertAdmitRequest(request);
    } catch (error) {
      return Promise.reject(error);
    }
    const nowMs = Math.floor(request.nowMs);
    const ticketId = `${this.instanceId}.${this.nextTicket++}`;
    const list = this.listWireOf(request.scopes);
    const ticket = new ValkeyTicket(request.requestId, request.worstCaseCost, request.worstCaseTokens, ticketId, list);
    if (list.scopes.length === 0) return Promise.resolve({ admitted: true, ticket, headers: {} });
    return new Promise<AdmitDecision>((resolve, reject) => {
      this.pendingAdmits.push({
        ticket,
        nowMs,
        cost: String(usdToNano(request.worstCaseCost)),
        tokens: String(Math.ceil(request.worstCaseTokens)),
        resolve,
        reject,
      });
      this.scheduleFlush();
    });
  }

  /**
   * Idempotent per ticket in this process. Goes out with the admits and settles of the same event-loop
   * turn, ahead of the admits, so a slot this call freed is free for the next call this replica admits;
   * another replica sees it free once this turn's I/O callbacks are done. A settle that fails is not
   * retried: its slots and reservation expire after `inFlightTtlMs`, and the spend ledger still has the
   * call's cost.
   */
  settle(ticket: LimitTicket, actual: ActualUsage, nowMs: number): Promise<void> {
    if (!(ticket instanceof ValkeyTicket)) return Promise.reject(new TypeError('the ticket was not issued by a ValkeyLimitStore'));
    assertActualUsage(actual);
    if (ticket.settled || !ticket.list.needsSettle) {
      ticket.settled = true;
      return Promise.resolve();
    }
    ticket.settled = true;
    return new Promise<void>((resolve, reject) => {
      this.pendingSettles.push({ ticket, actual, nowMs, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.pendingSettles.length + this.pendingAdmits.length >= MAX_ENTRIES_PER_CALL) this.flush();
    else if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flushNow);
    }
  }

  /** Sends the queued settles, then the queued admits, as one script call. */
  private flush(): void {
    this.flushQueued = false;
    const settles = this.pendingSettles;
    const admits = this.pendingAdmits;
    if (settles.length === 0 && admits.length === 0) return;
    this.pendingSettles = [];
    this.pendingAdmits = [];
    const layout = new CallLayout();
    const entries: string[] = [String(settles.length)];
    for (const { ticket, actual, nowMs } of settles) {
      entries.push(String(Math.floor(nowMs)), ticket.id, String(usdToNano(actual.cost)), String(Math.ceil(actual.tokens)), layout.listOf(ticket.list));
    }
    for (const { ticket, nowMs, cost, tokens } of admits) {
      entries.push(String(nowMs), ticket.id, cost, tokens, layout.listOf(ticket.list));
    }
    const args = [this.inFlightTtlMs, this.budgetIdleTtlMs, String(layout.slotCount), String(layout.listCount), ...layout.listArgs, ...entries];
    const keys = layout.keys;
    const sent = this.commands.switchyardLimitBatch(String(keys.length), keys, args);
    this.callsInFlight.add(sent);
    sent.then(
      (replies) => {
        this.callsInFlight.delete(sent);
        for (const entry of settles) entry.resolve();
        for (let index = 0; index < admits.length; index += 1) {
          const entry = admits[index] as PendingAdmit;
          const reply = replies[index];
          if (reply === undefined) entry.reject(new Error(`the limit script answered ${replies.length} replies for ${admits.length} admits`));
          else entry.resolve(this.decisionOf(entry, reply));
        }
      },
      (error: unknown) => {
        this.callsInFlight.delete(sent);
        for (const entry of settles) entry.reject(error);
        for (const entry of admits) entry.reject(error);
      },
    );
  }

  private decisionOf(entry: PendingAdmit, reply: ScriptReply): AdmitDecision {
    const figures: WindowFigures = {
      requestsLimit: Number(reply[1]),
      requestsRemaining: Number(reply[2]),
      requestsNewestMs: Number(reply[3]),
      tokensLimit: Number(reply[4]),
      tokensRemaining: Number(reply[5]),
      tokensNewestSecond: Number(reply[6]),
    };
    if (reply[0] === 1) return { admitted: true, ticket: entry.ticket, headers: windowHeaders(figures, entry.nowMs, true) };
    const failure = {
      kind: String(reply[8]) as LimitKind,
      limit: Number(reply[9]),
      current: Number(reply[10]),
      requested: Number(reply[11]),
      retryMs: Number(reply[12]),
    };
    return rejectedDecision(entry.ticket.list.scopes[Number(reply[7])]?.id ?? '', failure, figures, entry.nowMs);
  }

  release(ticket: LimitTicket, nowMs: number): Promise<void> {
    return this.settle(ticket, { cost: 0, tokens: 0 }, nowMs);
  }

  async usage(scope: Pick<LimitScope, 'id' | 'budgetPeriod'>, nowMs: number): Promise<ScopeUsage> {
    // Queued admits and settles leave first: the figures include every call issued before this one.
    this.flush();
    const reply = await this.commands.switchyardLimitUsage('4', this.keysOf(scope), String(Math.floor(nowMs)));
    const spend = Number(reply[3]);
    const spendTokens = Number(reply[5]);
    return {
      requests: Number(reply[0]),
      tokens: Number(reply[1]),
      inFlight: Number(reply[2]),
      spend: spend < 0 ? undefined : nanoToUsd(spend),
      reservedCost: nanoToUsd(Number(reply[4])),
      spendTokens: spendTokens < 0 ? undefined : spendTokens,
      reservedTokens: Number(reply[6]),
    };
  }

  async close(): Promise<void> {
    // Admits and settles still queued or on their way go out before the connection closes.
    this.flush();
    await Promise.allSettled([...this.callsInFlight]);
    if (!this.ownsClient) return;
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  /**
   * The wire form of a whole scope list, kept per list object: admission hands out the same list for the
   * same cached key and model, so a request adds only its own figures to the call.
   */
  private listWireOf(scopes: readonly LimitScope[]): ScopeListWire {
    const cached = this.listWires.get(scopes);
    if (cached !== undefined) return cached;
    const wires: ScopeWire[] = [];
    for (const scope of scopes) {
      const wire = this.wireOf(scope);
      if (wire !== undefined) wires.push(wire);
    }
    const list = { scopes: wires, needsSettle: wires.some((wire) => wire.needsSettle) };
    this.listWires.set(scopes, list);
    return list;
  }

  /**
   * A scope's part of a script call: its keys and limits, the same on every call for the same scope
   * object (callers keep scopes of a cached key), so they are built once.
   */
  private wireOf(scope: LimitScope): ScopeWire | undefined {
    const cached = this.wires.get(scope);
    if (cached !== undefined || this.wires.has(scope)) return cached ?? undefined;
    const rpm = wholeLimitOf(scope.rpm);
    const tpm = wholeLimitOf(scope.tpm);
    const maxParallel = wholeLimitOf(scope.maxParallel);
    const maxBudget = limitOf(scope.maxBudget);
    const maxBudgetTokens = wholeLimitOf(scope.maxBudgetTokens);
    const budgeted = maxBudget !== undefined || maxBudgetTokens !== undefined;
    let wire: ScopeWire | undefined;
    if (rpm !== undefined || tpm !== undefined || maxParallel !== undefined || budgeted) {
      const keys = this.keysOf(scope);
      wire = {
        id: scope.id,
        keys,
        slot: keys[3] as string,
        limits:
          `${rpm === undefined ? NO_LIMIT : rpm} ${tpm === undefined ? NO_LIMIT : tpm} ` +
          `${maxParallel === undefined ? NO_LIMIT : maxParallel} ` +
          `${maxBudget === undefined ? NO_LIMIT : usdToNano(maxBudget)} ` +
          `${maxBudgetTokens === undefined ? NO_LIMIT : maxBudgetTokens} ` +
          `${usdToNano(scope.knownSpend ?? 0)} ${Math.ceil(scope.knownSpendTokens ?? 0)}`,
        needsSettle: tpm !== undefined || maxParallel !== undefined || budgeted,
      };
    }
    this.wires.set(scope, wire ?? null);
    return wire;
  }

  /**
   * A scope's keys, as the scripts take them: `rpm`, `tpm`, `par` and `spend`. The spend counter's key
   * carries the budget period, so a reset starts a new counter.
   */
  private keysOf(scope: Pick<LimitScope, 'id' | 'budgetPeriod'>): string[] {
    const { prefix } = this;
    const spend = scope.budgetPeriod ? `${prefix}spend:${scope.id}@${scope.budgetPeriod}` : `${prefix}spend:${scope.id}`;
    return [`${prefix}rpm:${scope.id}`, `${prefix}tpm:${scope.id}`, `${prefix}par:${scope.id}`, spend];
  }
}
