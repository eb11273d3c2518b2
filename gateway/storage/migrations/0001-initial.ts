/**
 * Migration 1: keys, teams, memberships, users, end users, budgets, spend logs and daily aggregates.
 * Field names follow LiteLLM's management API. Money is `numeric` (exact), token counts `bigint`.
 */
import type { Migration } from '../migrate';

export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  sql: /* sql */ `
CREATE TABLE budgets (
  budget_id              text PRIMARY KEY,
  max_budget             numeric,
  soft_budget            numeric,
  max_budget_tokens      bigint,
  budget_duration        text,
  budget_reset_at        timestamptz,
  rpm_limit              integer,
  tpm_limit              bigint,
  max_parallel_requests  integer,
  model_max_budget       jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_by             text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  user_id                text PRIMARY KEY,
  user_email             text,
  user_alias             text,
  user_role              text NOT NULL DEFAULT 'internal_user',
  models                 text[] NOT NULL DEFAULT '{}',
  max_budget             numeric,
  soft_budget            numeric,
  max_budget_tokens      bigint,
  spend                  numeric NOT NULL DEFAULT 0,
  spend_tokens           bigint NOT NULL DEFAULT 0,
  budget_duration        text,
  budget_reset_at        timestamptz,
  rpm_limit              integer,
  tpm_limit              bigint,
  max_parallel_requests  integer,
  model_rpm_limit        jsonb NOT NULL DEFAULT '{}'::jsonb,
  model_tpm_limit        jsonb NOT NULL DEFAULT '{}'::jsonb,
  budget_id              text REFERENCES budgets(budget_id) ON DELETE SET NULL,
  metadata               jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE teams (
  team_id                text PRIMARY KEY,
  team_alias             text,
  models                 text[] NOT NULL DEFAULT '{}',
  max_budget             numeric,
  soft_budget            numeric,
  max_budget_tokens      bigint,
  spend                  numeric NOT NULL DEFAULT 0,
  spend_tokens           bigint NOT NULL DEFAULT 0,
  budget_duration        text,
  budget_reset_at        timestamptz,
  rpm_limit              integer,
  tpm_limit              bigint,
  max_parallel_requests  integer,
  model_rpm_limit        jsonb NOT NULL DEFAULT '{}'::jsonb,
  model_tpm_limit        jsonb NOT NULL DEFAULT '{}'::jsonb,
  budget_id              text REFERENCES budgets(budget_id) ON DELETE SET NULL,
  metadata               jsonb NOT NULL DEFAULT '{}'::jsonb,
  tags                   text[] NOT NULL DEFAULT '{}',
  blocked                boolean NOT NULL DEFAULT false,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team_memberships (
  team_id                text NOT NULL REFERENCES teams(team_id) ON DELETE CASCADE,
  user_id                text NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
  role                   text NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),
  max_budget_in_team     numeric,
  spend                  numeric NOT NULL DEFAULT 0,
  created_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_memberships_user ON team_memberships (user_id);

CREATE TABLE end_users (
  user_id                text PRIMARY KEY,
  alias                  text,
  blocked                boolean NOT NULL DEFAULT false,
  budget_id              text REFERENCES budgets(budget_id) ON DELETE SET NULL,
  spend                  numeric NOT NULL DEFAULT 0,
  spend_tokens           bigint NOT NULL DEFAULT 0,
  budget_reset_at        timestamptz,
  allowed_model_region   text,
  default_model          text,
  metadata               jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE keys (
  token_hash             text PRIMARY KEY,
  key_name               text NOT NULL,
  key_alias              text,
  user_id                text REFERENCES users(user_id) ON DELETE SET NULL,
  team_id                text REFERENCES teams(team_id) ON DELETE CASCADE,
  models                 text[] NOT NULL DEFAULT '{}',
  aliases                jsonb NOT NULL DEFAULT '{}'::jsonb,
  max_budget             numeric,
  soft_budget            numeric,
  max_budget_tokens      bigint,
  spend                  numeric NOT NULL DEFAULT 0,
  spend_tokens           bigint NOT NULL DEFAULT 0,
  budget_duration        text,
  budget_reset_at        timestamptz,
  soft_budget_alerted_at timestamptz,
  expires                timestamptz,
  rpm_limit              integer,
  tpm_limit              bigint,
  max_parallel_requests  integer,
  model_rpm_limit        jsonb NOT NULL DEFAULT '{}'::jsonb,
  model_tpm_limit        jsonb NOT NULL DEFAULT '{}'::jsonb,
  model_max_budget       jsonb NOT NULL DEFAULT '{}'::jsonb,
  budget_id              text REFERENCES budgets(budget_id) ON DELETE SET NULL,
  metadata               jsonb NOT NULL DEFAULT '{}'::jsonb,
  tags                   text[] NOT NULL DEFAULT '{}',
  blocked                boolean NOT NULL DEFAULT false,
  created_by             text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX keys_alias ON keys (key_alias) WHERE key_alias IS NOT NULL;
CREATE INDEX keys_user ON keys (user_id);
CREATE INDEX keys_team ON keys (team_id);

-- One row per call. Pruned by general_settings.maximum_spend_logs_retention_period; reports read
-- daily_spend instead.
CREATE TABLE spend_logs (
  request_id             text PRIMARY KEY,
  call_type              text NOT NULL,
  token_hash             text,
  key_alias              text,
  user_id                text,
  team_id                text,
  end_user               text,
  model_group            text NOT NULL,
  deployment_id          text,
  model                  text,
  provider               text,
  api_base               text,
  tags                   text[] NOT NULL DEFAULT '{}',
  prompt_tokens          bigint NOT NULL DEFAULT 0,
  completion_tokens      bigint NOT NULL DEFAULT 0,
  cached_tokens          bigint NOT NULL DEFAULT 0,
  total_tokens           bigint NOT NULL DEFAULT 0,
  spend                  numeric NOT NULL DEFAULT 0,
  status                 text NOT NULL DEFAULT 'success',
  start_time             timestamptz NOT NULL,
  end_time               timestamptz NOT NULL,
  metadata               jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX spend_logs_start_time ON spend_logs (start_time);
CREATE INDEX spend_logs_token ON spend_logs (token_hash, start_time);

-- Daily aggregates per entity and model, so reports never scan spend_logs.
CREATE TABLE daily_spend (
  day                    date NOT NULL,
  entity_type            text NOT NULL CHECK (entity_type IN ('key', 'user', 'team', 'end_user', 'tag', 'model')),
  entity_id              text NOT NULL,
  model_group            text NOT NULL,
  requests               bigint NOT NULL DEFAULT 0,
  failed_requests        bigint NOT NULL DEFAULT 0,
  prompt_tokens          bigint NOT NULL DEFAULT 0,
  completion_tokens      bigint NOT NULL DEFAULT 0,
  cached_tokens          bigint NOT NULL DEFAULT 0,
  spend                  numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (day, entity_type, entity_id, model_group)
);
CREATE INDEX daily_spend_entity ON daily_spend (entity_type, entity_id, day);
`,
};
