/**
 * Teams (with memberships), users, customers (end users) and reusable budgets. Framework-free, like
 * `KeyManagement`; the HTTP layer validates bodies and checks roles.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, InvalidRequestError, NotFoundError } from '../errors';
import { BUDGETS, END_USERS, EntityRepository, TEAMS, USERS } from '../storage';
import type { Database, EntityDescriptor, EntityRow, SqlClient } from '../storage';
import { addDuration, parseDuration } from '../tokenomics';
import type { KeyManagement } from './key-management';
import type { CustomerFieldsInput, TeamNewInput, UserNewInput } from './org-schemas';

type Kind = 'team' | 'user' | 'customer' | 'budget';

const DESCRIPTORS: Record<Kind, EntityDescriptor> = { team: TEAMS, user: USERS, customer: END_USERS, budget: BUDGETS };
const ID_PARAM: Record<Kind, string> = { team: 'team_id', user: 'user_id', customer: 'user_id', budget: 'budget_id' };

/** `budget_duration` sets the first reset; everything else is stored as given. */
function withResetTime(fields: EntityRow, now: Date): EntityRow {
  const duration = typeof fields.budget_duration === 'string' ? parseDuration(fields.budget_duration) : undefined;
  return duration ? { ...fields, budget_reset_at: addDuration(now, duration) } : fields;
}

function toClientError(error: unknown, kind: Kind, id: string): never {
  const code = (error as { code?: string }).code;
  if (code === '23505') {
    throw new GatewayError(409, 'invalid_request_error', `${kind} '${id}' already exists`, { param: ID_PARAM[kind], code: 'already_exists' });
  }
  if (code === '23503') {
    const constraint = String((error as { constraint?: string }).constraint ?? '');
    const param = constraint.includes('budget') ? 'budget_id' : constraint.includes('team') ? 'team_id' : 'user_id';
    throw new InvalidRequestError(`the ${param} given does not exist`, { param });
  }
  throw error;
}

export class OrgManagement {
  constructor(
    private readonly db: Database,
    private readonly keys: KeyManagement,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private repository(kind: Kind, client: SqlClient = this.db): EntityRepository {
    return new EntityRepository(client, DESCRIPTORS[kind]);
  }

  async create(kind: Exclude<Kind, 'team' | 'user'>, id: string | undefined, fields: EntityRow): Promise<EntityRow> {
    const entityId = id ?? randomUUID();
    try {
      return await this.repository(kind).insert(entityId, withResetTime(fields, this.now()));
    } catch (error) {
      return toClientError(error, kind, entityId);
    }
  }

  async info(kind: Kind, id: string): Promise<EntityRow> {
    const row = await this.repository(kind).find(id);
    if (!row) throw new NotFoundError(`no ${kind} '${id}'`, { param: ID_PARAM[kind], code: `${kind}_not_found` });
    return row;
  }

  async update(kind: Kind, id: string, fields: EntityRow): Promise<EntityRow> {
    try {
      const row = await this.repository(kind).update(id, withResetTime(fields, this.now()));
      if (!row) throw new NotFoundError(`no ${kind} '${id}'`, { param: ID_PARAM[kind], code: `${kind}_not_found` });
      return row;
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      return toClientError(error, kind, id);
    }
  }

  delete(kind: Kind, ids: readonly string[]): Promise<string[]> {
    return this.repository(kind).delete(ids);
  }

  list(kind: Kind, page: number, size: number, filter: EntityRow = {}): Promise<{ rows: EntityRow[]; total: number }> {
    return this.repository(kind).list(page, size, filter);
  }

  /** The teams a user administers. */
  async adminTeamsOf(userId: string): Promise<Set<string>> {
    const { rows } = await this.db.query<{ team_id: string }>(`SELECT team_id FROM team_memberships WHERE user_id = $1 AND role = 'admin'`, [userId]);
    return new Set(rows.map((row) => row.team_id));
  }

  budgets(ids: readonly string[]): Promise<EntityRow[]> {
    return this.repository('budget').findMany(ids);
  }

  async createTeam(input: TeamNewInput): Promise<EntityRow> {
    const { team_id, members_with_roles, ...fields } = input;
    const id = team_id ?? randomUUID();
    try {
      return await this.db.transaction(async (client) => {
        const team = await this.repository('team', client).insert(id, withResetTime(fields, this.now()));
        for (const member of members_with_roles ?? []) await addMember(client, id, member.user_id, member.role);
        return team;
      });
    } catch (error) {
      return toClientError(error, 'team', id);
    }
  }

  async teamInfo(teamId: string): Promise<{ team_id: string; team_info: EntityRow; team_memberships: EntityRow[]; keys: unknown[] }> {
    const team = await this.info('team', teamId);
    const { rows: memberships } = await this.db.query('SELECT team_id, user_id, role, max_budget_in_team, spend FROM team_memberships WHERE team_id = $1 ORDER BY user_id', [teamId]);
    const { keys } = await this.keys.list({ page: 1, size: 1000, team_id: teamId });
    return { team_id: teamId, team_info: team, team_memberships: memberships, keys };
  }

  async addMembers(teamId: string, members: readonly { user_id: string; role: 'admin' | 'user' }[]): Promise<EntityRow> {
    await this.info('team', teamId);
    await this.db.transaction(async (client) => {
      for (const member of members) await addMember(client, teamId, member.user_id, member.role);
    });
    return (await this.teamInfo(teamId)) as unknown as EntityRow;
  }

  async removeMember(teamId: string, userId: string): Promise<{ team_id: string; user_id: string; removed: boolean }> {
    const { rowCount } = await this.db.query('DELETE FROM team_memberships WHERE team_id = $1 AND user_id = $2', [teamId, userId]);
    return { team_id: teamId, user_id: userId, removed: rowCount > 0 };
  }

  /** LiteLLM's `/user/new`: the user, their team memberships and (unless `auto_create_key: false`) a key. */
  async createUser(input: UserNewInput): Promise<EntityRow> {
    const { user_id, teams, auto_create_key, key_alias, duration, ...fields } = input;
    const id = user_id ?? randomUUID();
    let user: EntityRow;
    try {
      user = await this.db.transaction(async (client) => {
        const created = await this.repository('user', client).insert(id, withResetTime(fields, this.now()));
        for (const team of teams ?? []) await addMember(client, team, id, 'user');
        return created;
      });
    } catch (error) {
      return toClientError(error, 'user', id);
    }
    if (!auto_create_key) return user;
    const key = await this.keys.generate(
      { user_id: id, ...(key_alias ? { key_alias } : {}), ...(duration ? { duration } : {}), ...(fields.models ? { models: fields.models } : {}) },
      'proxy_admin',
    );
    return { ...user, key: key.key, token: key.token };
  }

  async userInfo(userId: string): Promise<{ user_id: string; user_info: EntityRow; keys: unknown[]; teams: unknown[] }> {
    const user = await this.info('user', userId);
    const { keys } = await this.keys.list({ page: 1, size: 1000, user_id: userId });
    const { rows: teams } = await this.db.query('SELECT team_id, role FROM team_memberships WHERE user_id = $1 ORDER BY team_id', [userId]);
    return { user_id: userId, user_info: user, keys, teams };
  }

  /**
   * Customers carry limits through a budget; LiteLLM's shortcut fields (`max_budget`, `rpm_limit`, …) on
   * `/customer/new|update` create or change the customer's own budget `customer-<id>`.
   */
  async saveCustomer(id: string, input: CustomerFieldsInput, isNew: boolean): Promise<EntityRow> {
    const { max_budget, budget_duration, rpm_limit, tpm_limit, ...fields } = input;
    const limits = { max_budget, budget_duration, rpm_limit, tpm_limit };
    const hasLimits = Object.values(limits).some((value) => value !== undefined);
    if (hasLimits) {
      const budgetId = fields.budget_id ?? `customer-${id}`;
      const existing = await this.repository('budget').find(budgetId);
      if (existing) await this.update('budget', budgetId, limits);
      else await this.create('budget', budgetId, limits);
      fields.budget_id = budgetId;
    }
    return isNew ? this.create('customer', id, fields) : this.update('customer', id, fields);
  }
}

async function addMember(client: SqlClient, teamId: string, userId: string, role: 'admin' | 'user'): Promise<void> {
  await client.query('INSERT INTO users (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING', [userId]);
  await client.query(
    `INSERT INTO team_memberships (team_id, user_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role`,
    [teamId, userId, role],
  );
}
