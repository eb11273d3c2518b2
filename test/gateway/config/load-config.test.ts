import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  checkConfigFile,
  ConfigError,
  formatIssue,
  gatewayConfigSchema,
  loadConfigFile,
  parseConfigText,
} from '../../../gateway/config';
import { FIXTURES, formattedErrorsOf, formattedIssuesOf, issuesOf, parse, REPO_ROOT } from './support';

const FULL_ENV = {
  OPENAI_API_KEY: 'sk-test-openai',
  TEAM_TOKEN: 'team-token-value',
  AZURE_API_KEY: 'azure-key-value',
  ANTHROPIC_API_KEY: 'sk-ant-test',
  LITELLM_MASTER_KEY: 'sk-master-test',
};

describe('loadConfigFile: a valid config using every supported key', () => {
  const file = join(FIXTURES, 'valid-full.yaml');
  const loaded = loadConfigFile(file, { env: FULL_ENV });

  it('loads with no warnings and lists the file it read', () => {
    expect(loaded.warnings).toEqual([]);
    expect(loaded.files).toEqual([resolve(file)]);
  });

  it('resolves the first deployment: references, numeric strings, seconds, headers, request defaults', () => {
    expect(loaded.deployments[0]).toStrictEqual({
      id: 'gpt-4o-primary',
      modelName: 'gpt-4o',
      provider: 'openai',
      model: 'gpt-4o',
      apiBase: 'https://api.openai.com/v1',
      apiKey: 'sk-test-openai',
      organization: 'org-research',
      headers: { 'X-Team': 'research', 'X-Team-Token': 'team-token-value' },
      rpm: 480,
      tpm: 100000,
      timeoutMs: 30000,
      streamTimeoutMs: 10000,
      maxRetries: 3,
      inputCostPerToken: 0.0000025,
      outputCostPerToken: 0.00001,
      extraParams: { temperature: 0.3, max_tokens: 1024, stop: ['###'] },
      modelInfo: { id: 'gpt-4o-primary', mode: 'chat', base_model: 'gpt-4o-2024-08-06' },
      missingEnv: [],
      source: { file, line: 3, column: 5 },
    });
  });

  it('splits provider and model for every provider form', () => {
    expect(loaded.deployments.map(({ modelName, provider, model }) => ({ modelName, provider, model }))).toEqual([
      { modelName: 'gpt-4o', provider: 'openai', model: 'gpt-4o' },
      { modelName: 'gpt-4o', provider: 'azure', model: 'gpt-4o-eu' },
      { modelName: 'claude', provider: 'anthropic', model: 'claude-sonnet-4-5' },
      // custom_llm_provider names the provider; the model id is kept whole.
      { modelName: 'llama', provider: 'hosted_vllm', model: 'meta-llama/Llama-3.1-8B-Instruct' },
      { modelName: 'always-rate-limited', provider: 'openai', model: 'mock' },
    ]);
  });

  it('resolves the azure deployment, whose api_base comes from environment_variables', () => {
    expect(loaded.deployments[1]).toMatchObject({
      apiBase: 'https://example-eu.openai.azure.com',
      apiKey: 'azure-key-value',
      apiVersion: '2024-10-21',
      weight: 3,
      order: 1,
      dropParams: true, // written as `yes`
    });
  });

  it('keeps mock_response text as written (LiteLLM error sentinels included)', () => {
    expect(loaded.deployments[4]?.mockResponse).toBe('litellm.RateLimitError');
  });

  it('resolves the settings; router_settings.num_retries wins over litellm_settings', () => {
    expect(loaded.settings).toStrictEqual({
      masterKey: 'sk-master-test',
      databaseUrl: 'postgresql://switchyard@db.example.internal:5432/switchyard',
      dropParams: true,
      requestTimeoutMs: 45000,
      numRetries: 4,
      routingStrategy: 'simple-shuffle',
      maxRequestBodyBytes: 2.5 * 1024 * 1024,
      allowRequestsOnDbUnavailable: false,
      missingEnv: [],
    });
  });

  it('returns environment_variables as strings for the caller to apply', () => {
    expect(loaded.environmentVariables).toEqual({
      AZURE_API_BASE: 'https://example-eu.openai.azure.com',
      REDIS_PORT: '6379',
    });
  });

  it('keeps os.environ references unresolved in the typed config', () => {
    const first = loaded.config.model_list?.[0];
    expect(first?.litellm_params.api_key).toBe('os.environ/OPENAI_API_KEY');
    expect(first?.litellm_params.rpm).toBe(480);
    expect(loaded.config.general_settings?.master_key).toBe('os.environ/LITELLM_MASTER_KEY');
  });
});

describe('models.example.yaml', () => {
  const file = join(REPO_ROOT, 'models.example.yaml');
  const loaded = loadConfigFile(file, { env: {} });

  it('loads with an empty environment: missing variables are warnings only', () => {
    expect(loaded.warnings.every((warning) => warning.severity === 'warning')).toBe(true);
    expect(loaded.warnings.map((warning) => warning.message)).toEqual([
      'environment variable OPENAI_API_KEY is not set; api_key is left unset',
      'environment variable ANTHROPIC_API_KEY is not set; api_key is left unset',
      'environment variable OPENAI_API_KEY is not set; api_key is left unset',
      'environment variable LITELLM_MASTER_KEY is not set; the gateway runs without a master key and does not authenticate clients',
    ]);
  });

  it('yields the documented deployments', () => {
    expect(
      loaded.deployments.map(({ modelName, provider, model, apiBase, weight, missingEnv }) => ({
        modelName,
        provider,
        model,
        apiBase,
        weight,
        missingEnv,
      })),
    ).toEqual([
      { modelName: 'switchyard-mock', provider: 'openai', model: 'mock-model', missingEnv: [] },
      {
        modelName: 'llama-3.1-8b',
        provider: 'hosted_vllm',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        apiBase: 'http://vllm-0.vllm.svc.cluster.local:8000/v1',
        weight: 2,
        missingEnv: [],
      },
      {
        modelName: 'llama-3.1-8b',
        provider: 'hosted_vllm',
        model: 'meta-llama/Llama-3.1-8B-Instruct',
        apiBase: 'http://vllm-1.vllm.svc.cluster.local:8000/v1',
        weight: 1,
        missingEnv: [],
      },
      {
        modelName: 'nim-llama-3.1-8b',
        provider: 'nvidia_nim',
        model: 'meta/llama-3.1-8b-instruct',
        apiBase: 'http://nim-llama.nim.svc.cluster.local:8000/v1',
        missingEnv: [],
      },
      {
        modelName: 'llama3.1',
        provider: 'ollama_chat',
        model: 'llama3.1',
        apiBase: 'http://ollama.ollama.svc.cluster.local:11434',
        missingEnv: [],
      },
      { modelName: 'gpt-4o-mini', provider: 'openai', model: 'gpt-4o-mini', missingEnv: ['OPENAI_API_KEY'] },
      { modelName: 'claude-sonnet', provider: 'anthropic', model: 'claude-sonnet-4-5', missingEnv: ['ANTHROPIC_API_KEY'] },
      {
        modelName: 'text-embedding-3-small',
        provider: 'openai',
        model: 'text-embedding-3-small',
        missingEnv: ['OPENAI_API_KEY'],
      },
    ]);
  });

  it('has an offline mock deployment for the quick start', () => {
    const mock = loaded.deployments.find((deployment) => deployment.modelName === 'switchyard-mock');
    expect(mock?.mockResponse).toMatch(/^Hello from Switchyard!/);
  });

  it('runs open without LITELLM_MASTER_KEY and uses it when set', () => {
    expect(loaded.settings.masterKey).toBeUndefined();
    expect(loaded.settings.missingEnv).toEqual(['LITELLM_MASTER_KEY']);
    const withKey = loadConfigFile(file, { env: { LITELLM_MASTER_KEY: 'sk-set' } });
    expect(withKey.settings.masterKey).toBe('sk-set');
  });

  it('sets the documented settings', () => {
    expect(loaded.settings).toMatchObject({ dropParams: true, requestTimeoutMs: 600_000, routingStrategy: 'simple-shuffle', numRetries: 2 });
  });

  it('passes `switchyard config check`', () => {
    const result = checkConfigFile(file, {});
    expect(result.ok).toBe(true);
    expect(result.lines).toHaveLength(4);
  });
});

describe('errors: every one is reported, with file:line:column and path', () => {
  const file = join(FIXTURES, 'bad.yaml');

  it('reports all errors of bad.yaml at once, in file order', () => {
    expect(formattedIssuesOf(() => loadConfigFile(file, { env: {} }))).toEqual([
      `${file}:5:12 model_list[0].litellm_params.rpm: expected a number, got "fast"`,
      `${file}:8:14 model_list[1].litellm_params.model: must be provider/model, got "gpt-4o"; write it as openai/gpt-4o (supported providers: openai, azure, anthropic, hosted_vllm, nvidia_nim, groq, mistral, deepseek, together_ai, openrouter, fireworks_ai, xai, lm_studio, ollama, ollama_chat, text-completion-openai)`,
      `${file}:11:14 model_list[2].litellm_params.model: provider bedrock is not supported yet; supported providers: openai, azure, anthropic, hosted_vllm, nvidia_nim, groq, mistral, deepseek, together_ai, openrouter, fireworks_ai, xai, lm_studio, ollama, ollama_chat, text-completion-openai`,
      `${file}:12:16 model_list[2].litellm_params.timeout: must be more than 0, got -5`,
      `${file}:13:5 model_list[3].model_name: is required: the public name clients send as "model"`,
      `${file}:15:5 model_list[4].litellm_params: is required: add litellm_params with at least model: provider/model`,
      `${file}:17:16 router_settings.num_retries: expected a whole number, got 1.5`,
    ]);
  });

  it('puts every error in the ConfigError message, one per line', () => {
    const error = (() => {
      try {
        loadConfigFile(file, { env: {} });
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message.split('\n')).toHaveLength(7);
    expect((error as ConfigError).message.split('\n')[0]).toBe(
      `${file}:5:12 model_list[0].litellm_params.rpm: expected a number, got "fast"`,
    );
  });

  it('returns every line from checkConfigFile and ok: false', () => {
    const result = checkConfigFile(file, {});
    expect(result.ok).toBe(false);
    expect(result.lines).toHaveLength(7);
  });

  it('shows the file name as the caller passed it', () => {
    const text = readFileSync(file, 'utf8');
    const issues = issuesOf(() => parseConfigText(text, 'models.yaml', { env: {} }));
    expect(formatIssue(issues[0]!)).toBe('models.yaml:5:12 model_list[0].litellm_params.rpm: expected a number, got "fast"');
  });

  it('names a missing main file without a position', () => {
    expect(formattedIssuesOf(() => loadConfigFile(join(FIXTURES, 'does-not-exist.yaml'), { env: {} }))).toEqual([
      `${join(FIXTURES, 'does-not-exist.yaml')}: file not found`,
    ]);
  });

  it('reports wrong types in the user words', () => {
    expect(
      formattedIssuesOf(() =>
        parse(
          [
            'model_list:',
            '  - model_name: [a, b]',
            '    litellm_params:',
            '      model: openai/x',
            '      drop_params: maybe',
            '      extra_headers: nope',
            '  - just-a-string',
            'general_settings: [1]',
          ].join('\n'),
        ),
      ),
    ).toEqual([
      'test.yaml:2:17 model_list[0].model_name: expected a string, got a list',
      'test.yaml:5:20 model_list[0].litellm_params.drop_params: expected true or false, got "maybe"',
      'test.yaml:6:22 model_list[0].litellm_params.extra_headers: expected a mapping, got "nope"',
      'test.yaml:7:5 model_list[1]: expected a mapping, got "just-a-string"',
      'test.yaml:8:19 general_settings: expected a mapping, got a list',
    ]);
  });

  it('points a missing model at the litellm_params key', () => {
    expect(formattedIssuesOf(() => parse('model_list:\n  - model_name: a\n    litellm_params:\n      api_base: http://x\n'))).toEqual([
      'test.yaml:3:5 model_list[0].litellm_params.model: is required: write the upstream model as provider/model, e.g. openai/gpt-4o',
    ]);
  });

  it('refuses an os.environ reference where a value must be written out', () => {
    expect(formattedIssuesOf(() => parse('model_list:\n  - model_name: os.environ/NAME\n    litellm_params: {model: openai/x}\n'))).toEqual([
      'test.yaml:2:17 model_list[0].model_name: cannot be an os.environ reference here; write the value itself',
    ]);
  });

  it('refuses an unknown routing strategy with a suggestion', () => {
    expect(formattedErrorsOf(() => parse('router_settings:\n  routing_strategy: least_busy\n'))).toEqual([
      'test.yaml:2:21 router_settings.routing_strategy: unknown routing strategy "least_busy"; did you mean least-busy? one of: simple-shuffle, least-busy, usage-based-routing, usage-based-routing-v2, latency-based-routing, cost-based-routing',
    ]);
  });
});

describe('YAML problems', () => {
  it('reports a syntax error at its line and column', () => {
    const text = 'model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/x\n      rpm: 5: 6\n';
    expect(formattedIssuesOf(() => parse(text))).toEqual([
      'test.yaml:5:12 invalid YAML: nested mappings are not allowed in compact mappings',
    ]);
  });

  it('reports a duplicate key by name (pyyaml would silently keep the last one)', () => {
    const text = 'model_list:\n  - model_name: a\n    model_name: b\n    litellm_params: {model: openai/x}\n';
    expect(formattedIssuesOf(() => parse(text))).toEqual([
      'test.yaml:3:5 invalid YAML: the key model_name appears twice in the same mapping; keep one',
    ]);
  });

  it('reports tabs used for indentation', () => {
    expect(formattedIssuesOf(() => parse('model_list:\n\t- model_name: a\n'))).toEqual([
      'test.yaml:2:1 invalid YAML: tabs are not allowed as indentation; indent with spaces',
    ]);
  });

  it('reports more than one document', () => {
    expect(formattedIssuesOf(() => parse('model_list: []\n---\nmodel_list: []\n'))).toEqual([
      'test.yaml:2:1 invalid YAML: the file holds more than one YAML document (a --- line); a config is one document',
    ]);
  });

  it.each([
    ['an empty file', ''],
    ['a file of comments', '# nothing here yet\n\n'],
  ])('refuses %s', (_name, text) => {
    expect(formattedIssuesOf(() => parse(text))).toEqual([
      'test.yaml:1:1 the file is empty; add a model_list (see models.example.yaml)',
    ]);
  });

  it('refuses a top-level list, suggesting model_list', () => {
    expect(formattedIssuesOf(() => parse('- model_name: a\n  litellm_params: {model: openai/x}\n'))).toEqual([
      'test.yaml:1:1 expected a mapping of model_list, litellm_settings, router_settings, general_settings, … at the top level, got a list; did you forget model_list: above the list?',
    ]);
  });

  it('follows anchors and << merge keys, as pyyaml does', () => {
    const text = [
      'x-vllm: &vllm',
      '  api_base: http://vllm.example.internal:8000/v1',
      '  rpm: 10',
      'model_list:',
      '  - model_name: a',
      '    litellm_params:',
      '      <<: *vllm',
      '      model: hosted_vllm/a',
      '  - model_name: b',
      '    litellm_params:',
      '      <<: *vllm',
      '      model: hosted_vllm/b',
      '      rpm: 20',
    ].join('\n');
    const loaded = parse(text);
    expect(loaded.deployments.map(({ apiBase, rpm }) => ({ apiBase, rpm }))).toEqual([
      { apiBase: 'http://vllm.example.internal:8000/v1', rpm: 10 },
      { apiBase: 'http://vllm.example.internal:8000/v1', rpm: 20 },
    ]);
    // The anchor holder is not a LiteLLM key, so it is reported, not fatal.
    expect(loaded.warnings.map(formatIssue)).toEqual(['test.yaml:1:1 x-vllm: warning: unknown key x-vllm; it is ignored']);
  });

  it('locates an error inside a merged anchor at the anchor', () => {
    const text = 'x: &shared\n  rpm: lots\nmodel_list:\n  - model_name: a\n    litellm_params:\n      <<: *shared\n      model: openai/a\n';
    expect(formattedIssuesOf(() => parse(text))).toContain('test.yaml:2:8 model_list[0].litellm_params.rpm: expected a number, got "lots"');
  });
});

describe('coercion, as LiteLLM configs are written', () => {
  it('reads numbers written as strings and booleans written as words', () => {
    const loaded = parse(
      [
        'model_list:',
        '  - model_name: a',
        '    litellm_params:',
        '      model: openai/a',
        '      rpm: "100"',
        '      tpm: " 2000 "',
        '      timeout: "1.5"',
        '      weight: 1e1',
        '      drop_params: "False"',
        '      api_version: 2024.1',
        'litellm_settings:',
        '  request_timeout: "30"',
        '  drop_params: on',
      ].join('\n'),
    );
    expect(loaded.deployments[0]).toMatchObject({ rpm: 100, tpm: 2000, timeoutMs: 1500, weight: 10, dropParams: false, apiVersion: '2024.1' });
    expect(loaded.settings).toMatchObject({ requestTimeoutMs: 30000, dropParams: true });
    expect(loaded.config.model_list?.[0]?.litellm_params.rpm).toBe(100);
  });

  it('treats empty values and empty sections as absent', () => {
    const loaded = parse(
      [
        'model_list:',
        '  - model_name: a',
        '    litellm_params:',
        '      model: openai/a',
        '      api_base:',
        '      rpm:',
        '    model_info:',
        'litellm_settings:',
        'router_settings:',
        'general_settings:',
        '  # master_key: os.environ/LITELLM_MASTER_KEY',
      ].join('\n'),
    );
    expect(loaded.warnings).toEqual([]);
    expect(loaded.deployments[0]).not.toHaveProperty('apiBase');
    expect(loaded.deployments[0]).not.toHaveProperty('rpm');
    expect(loaded.settings).toStrictEqual({ dropParams: false, allowRequestsOnDbUnavailable: false, routingStrategy: 'simple-shuffle', missingEnv: [] });
  });

  it('refuses a number out of range and a fraction where a whole number is needed', () => {
    expect(formattedIssuesOf(() => parse('model_list:\n  - model_name: a\n    litellm_params: {model: openai/a, rpm: -1, max_retries: "2.5"}\n'))).toEqual([
      'test.yaml:3:44 model_list[0].litellm_params.rpm: must be 0 or more, got -1',
      'test.yaml:3:61 model_list[0].litellm_params.max_retries: expected a whole number, got "2.5"',
    ]);
  });

  it('warns when no models are configured, but loads', () => {
    const loaded = parse('general_settings:\n  master_key: sk-1\n');
    expect(loaded.warnings.map(formatIssue)).toEqual([
      'test.yaml:1:1 model_list: warning: no models are configured; add deployments to model_list',
    ]);
    expect(loaded.deployments).toEqual([]);
  });
});

describe('gatewayConfigSchema on its own (as the constructs use it at synth)', () => {
  it('validates a parsed file without the loader', () => {
    const text = readFileSync(join(REPO_ROOT, 'models.example.yaml'), 'utf8');
    const result = gatewayConfigSchema.safeParse(parseYaml(text, { merge: true }));
    expect(result.success).toBe(true);
  });

  it('reports the same problems by path', () => {
    const result = gatewayConfigSchema.safeParse({ model_list: [{ model_name: 'a', litellm_params: { model: 'gpt-4o', rpm: 'fast' } }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['model_list.0.litellm_params.rpm', 'expected a number, got "fast"'],
      [
        'model_list.0.litellm_params.model',
        'must be provider/model, got "gpt-4o"; write it as openai/gpt-4o (supported providers: openai, azure, anthropic, hosted_vllm, nvidia_nim, groq, mistral, deepseek, together_ai, openrouter, fireworks_ai, xai, lm_studio, ollama, ollama_chat, text-completion-openai)',
      ],
    ]);
  });
});
