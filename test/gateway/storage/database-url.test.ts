/**
 * LiteLLM's database variables: DATABASE_URL, or DATABASE_HOST/USERNAME/PASSWORD/NAME with the password
 * percent-encoded — checked as a string and against a real Postgres whose password holds every character a
 * URL treats specially, through `switchyard migrate` as the Kubernetes Job runs it.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseConfigurationError, databaseUrlFromEnvironment, openDatabase } from '../../../gateway/storage';
import type { Database } from '../../../gateway/storage';
import { startPostgresServer } from '../../support/postgres-server';
import type { PostgresServer } from '../../support/postgres-server';

const root = resolve(import.meta.dirname, '../../..');

describe('databaseUrlFromEnvironment', () => {
  it.each([
    ['nothing set', {}, undefined],
    ['DATABASE_URL', { DATABASE_URL: 'postgresql://a:b@h:5432/d' }, 'postgresql://a:b@h:5432/d'],
    [
      'DATABASE_URL wins over the parts',
      { DATABASE_URL: 'postgresql://a@h/d', DATABASE_HOST: 'x', DATABASE_USERNAME: 'y', DATABASE_NAME: 'z' },
      'postgresql://a@h/d',
    ],
    [
      'the parts, host with a port',
      { DATABASE_HOST: 'db-pooler.llm.svc:5432', DATABASE_USERNAME: 'switchyard', DATABASE_PASSWORD: 'abc123', DATABASE_NAME: 'switchyard' },
      'postgresql://switchyard:abc123@db-pooler.llm.svc:5432/switchyard',
    ],
    [
      'a password with URL characters, encoded',
      { DATABASE_HOST: 'h', DATABASE_USERNAME: 'u', DATABASE_PASSWORD: 'p@ss:w/rd#?%', DATABASE_NAME: 'd' },
      'postgresql://u:p%40ss%3Aw%2Frd%23%3F%25@h/d',
    ],
    ['no password', { DATABASE_HOST: 'h', DATABASE_USERNAME: 'u', DATABASE_NAME: 'd' }, 'postgresql://u@h/d'],
  ])('%s', (_name, env, expected) => {
    expect(databaseUrlFromEnvironment(env)).toBe(expected);
  });

  it('names the missing variables and never the password', () => {
    const attempt = (): unknown => databaseUrlFromEnvironment({ DATABASE_HOST: 'h', DATABASE_PASSWORD: 'hunter2' });
    expect(attempt).toThrow(DatabaseConfigurationError);
    expect(attempt).toThrow('DATABASE_HOST is set but DATABASE_USERNAME, DATABASE_NAME are not');
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it('refuses a host that is really a URL', () => {
    expect(() => databaseUrlFromEnvironment({ DATABASE_HOST: 'postgresql://h', DATABASE_USERNAME: 'u', DATABASE_NAME: 'd' })).toThrow(/host name or host:port/);
  });
});

describe('switchyard migrate with the parts', () => {
  let postgres: PostgresServer;
  let admin: Database;
  const password = 'p@ss:w/rd #?%&=';

  beforeAll(async () => {
    postgres = await startPostgresServer();
    admin = await openDatabase({ url: postgres.url });
    await admin.query('DROP DATABASE IF EXISTS url_parts');
    await admin.query('DROP ROLE IF EXISTS url_parts_owner');
    await admin.query(`CREATE ROLE url_parts_owner LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
    await admin.query('CREATE DATABASE url_parts OWNER url_parts_owner');
  }, 120_000);

  afterAll(async () => {
    await admin?.query('DROP DATABASE IF EXISTS url_parts');
    await admin?.query('DROP ROLE IF EXISTS url_parts_owner');
    await admin?.close();
    await postgres?.stop();
  });

  it('connects with a password full of URL characters and applies the migrations', () => {
    const url = new URL(postgres.url);
    const env = {
      ...process.env,
      DATABASE_URL: '',
      DATABASE_HOST: `${url.hostname}:${url.port}`,
      DATABASE_USERNAME: 'url_parts_owner',
      DATABASE_PASSWORD: password,
      DATABASE_NAME: 'url_parts',
    };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'gateway/main.ts', 'migrate'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr + run.stdout).not.toContain(password);
    expect(run.status, run.stderr).toBe(0);
    const wrong = spawnSync(process.execPath, ['--import', 'tsx', 'gateway/main.ts', 'migrate'], {
      cwd: root,
      env: { ...env, DATABASE_PASSWORD: `${password}x` },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr + wrong.stdout).toMatch(/password authentication failed/);
    expect(wrong.stderr + wrong.stdout).not.toContain(password);
  }, 120_000);
});
