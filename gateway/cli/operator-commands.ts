/**
 * The operator CLI's everyday chores, framework-free so that tests drive them directly:
 *
 *   switchyard keys generate [--user U] [--team T] [--models a,b] [--budget USD] [--rpm N] [--tpm N]
 *                            [--duration 30d] [--alias NAME]
 *   switchyard keys list | block KEY | unblock KEY | delete KEY…
 *   switchyard models list FILE | add FILE --name N --model provider/x [--api-base URL] [--api-key REF]
 *                    | remove FILE --name N
 *   switchyard spend report [--group-by team|customer|api_key|model|user|tag] [--start-date D] [--end-date D]
 *
 * Key and spend commands talk to a running gateway (`--url`, `--key`); model commands edit a model-list
 * file in place, keeping its comments and layout, and refuse to write a file the gateway would reject.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { isMap, isSeq, parseDocument } from 'yaml';
import { ConfigError, formatIssue, parseConfigText } from '../config';

export interface OperatorContext {
  /** The gateway's base URL. */
  readonly url: string;
  /** The master key. */
  readonly masterKey: string | undefined;
  readonly out: (line: string) => void;
}

export class OperatorError extends Error {}

async function callGateway(context: OperatorContext, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const response = await request(new URL(path, context.url), {
    method,
    headers: {
      'content-type': 'application/json',
      ...(context.masterKey ? { authorization: `Bearer ${context.masterKey}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  if (response.statusCode >= 400) {
    const message = (parsed as { error?: { message?: string } })?.error?.message ?? text;
    throw new OperatorError(`${method} ${path} failed (${response.statusCode}): ${message}`);
  }
  return parsed;
}

/** Renders rows as an aligned text table. */
export function formatTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string[] {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  const widths = headers.map((header, column) => Math.max(header.length, ...cells.map((row) => row[column]?.length ?? 0)));
  const line = (row: readonly string[]): string => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)];
}

function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new OperatorError(`${flag}: expected a number, got "${value}"`);
  return number;
}

export async function keysCommand(args: readonly string[], context: OperatorContext): Promise<void> {
  const [action, ...rest] = args;
  switch (action) {
    case 'generate': {
      const { values } = parseArgs({
        args: [...rest],
        options: {
          user: { type: 'string' },
          team: { type: 'string' },
          models: { type: 'string' },
          budget: { type: 'string' },
          rpm: { type: 'string' },
          tpm: { type: 'string' },
          duration: { type: 'string' },
          alias: { type: 'string' },
        },
        strict: true,
      });
      const body = {
        ...(values.user ? { user_id: values.user } : {}),
        ...(values.team ? { team_id: values.team } : {}),
        ...(values.models ? { models: values.models.split(',').map((model) => model.trim()).filter(Boolean) } : {}),
        ...(values.budget ? { max_budget: numberFlag(values.budget, '--budget') } : {}),
        ...(values.rpm ? { rpm_limit: numberFlag(values.rpm, '--rpm') } : {}),
        ...(values.tpm ? { tpm_limit: numberFlag(values.tpm, '--tpm') } : {}),
        ...(values.duration ? { duration: values.duration } : {}),
        ...(values.alias ? { key_alias: values.alias } : {}),
      };
      const created = (await callGateway(context, 'POST', '/key/generate', body)) as { key: string; key_name: string; expires: string | null };
      context.out(created.key);
      context.out(`# ${created.key_name}${created.expires ? `, expires ${created.expires}` : ''} — shown once; store it now`);
      return;
    }
    case 'list': {
      const { keys } = (await callGateway(context, 'GET', '/key/list?return_full_object=true&size=1000')) as {
        keys: { token: string; key_name: string; key_alias: string | null; user_id: string | null; team_id: string | null; spend: number; max_budget: number | null; blocked: boolean; expires: string | null }[];
      };
      for (const line of formatTable(
        ['key', 'alias', 'user', 'team', 'spend', 'budget', 'blocked', 'expires'],
        keys.map((key) => [key.key_name, key.key_alias, key.user_id, key.team_id, key.spend.toFixed(6), key.max_budget, key.blocked ? 'yes' : '', key.expires]),
      )) {
        context.out(line);
      }
      return;
    }
    case 'block':
    case 'unblock': {
      const [key] = rest;
      if (!key) throw new OperatorError(`usage: switchyard keys ${action} KEY`);
      await callGateway(context, 'POST', `/key/${action}`, { key });
      context.out(`${action}ed`);
      return;
    }
    case 'delete': {
      if (rest.length === 0) throw new OperatorError('usage: switchyard keys delete KEY…');
      const { deleted_keys } = (await callGateway(context, 'POST', '/key/delete', { keys: rest })) as { deleted_keys: string[] };
      context.out(`deleted ${deleted_keys.length} key${deleted_keys.length === 1 ? '' : 's'}`);
      return;
    }
    default:
      throw new OperatorError('usage: switchyard keys generate|list|block|unblock|delete …');
  }
}

export async function spendCommand(args: readonly string[], context: OperatorContext): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'report') throw new OperatorError('usage: switchyard spend report [--group-by G] [--start-date D] [--end-date D]');
  const { values } = parseArgs({
    args: [...rest],
    options: { 'group-by': { type: 'string', default: 'team' }, 'start-date': { type: 'string' }, 'end-date': { type: 'string' } },
    strict: true,
  });
  const groupBy = values['group-by'] ?? 'team';
  const query = new URLSearchParams({ group_by: groupBy });
  if (values['start-date']) query.set('start_date', values['start-date']);
  if (values['end-date']) query.set('end_date', values['end-date']);
  const days = (await callGateway(context, 'GET', `/global/spend/report?${query}`)) as Record<string, unknown>[];
  const rows: unknown[][] = [];
  for (const day of days) {
    const groups = (day[`${groupBy}s`] ?? []) as { total_spend: number; total_tokens: number; requests: number; [key: string]: unknown }[];
    for (const group of groups) rows.push([day.group_by_day, group[groupBy], group.requests, group.total_tokens, group.total_spend.toFixed(6)]);
  }
  for (const line of formatTable(['day', groupBy, 'requests', 'tokens', 'spend_usd'], rows)) context.out(line);
}

/** Validates edited config text with the gateway's own loader; throws listing every error. */
function assertValid(text: string, file: string): void {
  try {
    parseConfigText(text, basename(file), { env: {} });
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new OperatorError(`the edit would make ${basename(file)} invalid:\n${error.issues.filter((i) => i.severity === 'error').map(formatIssue).join('\n')}`);
    }
    throw error;
  }
}

export function modelsCommand(args: readonly string[], out: (line: string) => void): void {
  const [action, file, ...rest] = args;
  if (!action || !file) throw new OperatorError('usage: switchyard models list|add|remove FILE …');
  const text = readFileSync(file, 'utf8');
  const document = parseDocument(text);
  let list = document.get('model_list', true);
  switch (action) {
    case 'list': {
      const loaded = parseConfigText(text, basename(file), { env: {} });
      for (const line of formatTable(
        ['model_name', 'model', 'api_base', 'id'],
        loaded.deployments.map((deployment) => [deployment.modelName, `${deployment.provider}/${deployment.model}`, deployment.apiBase, deployment.id]),
      )) {
        out(line);
      }
      return;
    }
    case 'add': {
      const { values } = parseArgs({
        args: rest,
        options: { name: { type: 'string' }, model: { type: 'string' }, 'api-base': { type: 'string' }, 'api-key': { type: 'string' } },
        strict: true,
      });
      if (!values.name || !values.model) throw new OperatorError('usage: switchyard models add FILE --name NAME --model provider/model [--api-base URL] [--api-key os.environ/NAME]');
      if (values['api-key'] && !values['api-key'].startsWith('os.environ/')) {
        throw new OperatorError('--api-key must be a reference such as os.environ/OPENAI_API_KEY, never the key itself');
      }
      if (!isSeq(list)) {
        document.set('model_list', document.createNode([]));
        list = document.get('model_list', true);
      }
      const entry = {
        model_name: values.name,
        litellm_params: {
          model: values.model,
          ...(values['api-base'] ? { api_base: values['api-base'] } : {}),
          ...(values['api-key'] ? { api_key: values['api-key'] } : {}),
        },
      };
      (list as { add(value: unknown): void }).add(document.createNode(entry));
      const next = document.toString();
      assertValid(next, file);
      writeFileSync(file, next);
      out(`added ${values.name} (${values.model}) to ${basename(file)}`);
      return;
    }
    case 'remove': {
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' } }, strict: true });
      if (!values.name) throw new OperatorError('usage: switchyard models remove FILE --name NAME');
      if (!isSeq(list)) throw new OperatorError(`${basename(file)} has no model_list`);
      const before = list.items.length;
      list.items = list.items.filter((item) => !(isMap(item) && item.get('model_name') === values.name));
      const removed = before - list.items.length;
      if (removed === 0) throw new OperatorError(`${basename(file)} has no model named ${values.name}`);
      const next = document.toString();
      assertValid(next, file);
      writeFileSync(file, next);
      out(`removed ${removed} deployment${removed === 1 ? '' : 's'} of ${values.name} from ${basename(file)}`);
      return;
    }
    default:
      throw new OperatorError('usage: switchyard models list|add|remove FILE …');
  }
}
