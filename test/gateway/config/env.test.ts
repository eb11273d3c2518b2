import { describe, expect, it } from 'vitest';
import { formatIssue, parseConfigText } from '../../../gateway/config';
import { formattedErrorsOf, formattedIssuesOf, parse } from './support';

const CONFIG = [
  'model_list:',
  '  - model_name: gpt',
  '    litellm_params:',
  '      model: openai/gpt-4o',
  '      api_key: os.environ/OPENAI_API_KEY',
  '      api_base: os.environ/OPENAI_API_BASE',
  '      rpm: os.environ/GPT_RPM',
  '      drop_params: os.environ/GPT_DROP_PARAMS',
  '      extra_headers:',
  '        X-Tenant: os.environ/TENANT',
  '  - model_name: local',
  '    litellm_params:',
  '      model: hosted_vllm/llama',
  '      api_base: http://vllm.example.internal:8000/v1',
  'general_settings:',
  '  master_key: os.environ/LITELLM_MASTER_KEY',
  '  database_url: os.environ/DATABASE_URL',
].join('\n');

describe('os.environ/NAME references', () => {
  it('resolve from the environment the caller passes', () => {
    const loaded = parse(CONFIG, {
      OPENAI_API_KEY: 'sk-from-env',
      OPENAI_API_BASE: 'https://proxy.example.internal/v1',
      GPT_RPM: '120',
      GPT_DROP_PARAMS: 'true',
      TENANT: 'acme',
      LITELLM_MASTER_KEY: 'sk-master',
      DATABASE_URL: 'postgresql://db.example.internal/switchyard',
    });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.deployments[0]).toMatchObject({
      apiKey: 'sk-from-env',
      apiBase: 'https://proxy.example.internal/v1',
      rpm: 120,
      dropParams: true,
      headers: { 'X-Tenant': 'acme' },
      missingEnv: [],
    });
    expect(loaded.settings).toMatchObject({ masterKey: 'sk-master', databaseUrl: 'postgresql://db.example.internal/switchyard', missingEnv: [] });
  });

  it('leave unset variables undefined, list them in missingEnv, keep the deployment and warn where each is used', () => {
    const loaded = parse(CONFIG, { OPENAI_API_BASE: 'https://proxy.example.internal/v1' });
    expect(loaded.deployments).toHaveLength(2);
    const [gpt, local] = loaded.deployments;
    expect(gpt?.apiKey).toBeUndefined();
    expect(gpt?.rpm).toBeUndefined();
    expect(gpt?.headers).toEqual({});
    expect(gpt?.missingEnv).toEqual(['OPENAI_API_KEY', 'GPT_RPM', 'GPT_DROP_PARAMS', 'TENANT']);
    expect(local?.missingEnv).toEqual([]);
    expect(loaded.settings.masterKey).toBeUndefined();
    expect(loaded.settings.missingEnv).toEqual(['LITELLM_MASTER_KEY', 'DATABASE_URL']);
    expect(loaded.warnings.map(formatIssue)).toEqual([
      'test.yaml:5:16 model_list[0].litellm_params.api_key: warning: environment variable OPENAI_API_KEY is not set; api_key is left unset',
      'test.yaml:7:12 model_list[0].litellm_params.rpm: warning: environment variable GPT_RPM is not set; rpm is left unset',
      'test.yaml:8:20 model_list[0].litellm_params.drop_params: warning: environment variable GPT_DROP_PARAMS is not set; drop_params is left unset',
      'test.yaml:10:19 model_list[0].litellm_params.extra_headers.X-Tenant: warning: environment variable TENANT is not set; header X-Tenant is not sent',
      'test.yaml:16:15 general_settings.master_key: warning: environment variable LITELLM_MASTER_KEY is not set; the gateway runs without a master key and does not authenticate clients',
      'test.yaml:17:17 general_settings.database_url: warning: environment variable DATABASE_URL is not set; database_url is left unset',
    ]);
  });

  it('count an empty variable as set, as LiteLLM does', () => {
    const loaded = parse(CONFIG, { OPENAI_API_KEY: '' });
    expect(loaded.deployments[0]?.apiKey).toBe('');
    expect(loaded.deployments[0]?.missingEnv).not.toContain('OPENAI_API_KEY');
  });

  it('refuse a variable that does not hold a number, without repeating its content', () => {
    const issues = formattedIssuesOf(() => parse(CONFIG, { GPT_RPM: 'sk-oops-a-secret' }));
    const errors = formattedErrorsOf(() => parse(CONFIG, { GPT_RPM: 'sk-oops-a-secret' }));
    expect(errors).toEqual(['test.yaml:7:12 model_list[0].litellm_params.rpm: environment variable GPT_RPM must hold a whole number of 0 or more']);
    expect(issues.join('\n')).not.toContain('sk-oops');
  });

  it('refuse a variable that does not hold a boolean', () => {
    expect(formattedErrorsOf(() => parse(CONFIG, { GPT_DROP_PARAMS: 'sometimes' }))).toEqual([
      'test.yaml:8:20 model_list[0].litellm_params.drop_params: environment variable GPT_DROP_PARAMS must hold true or false',
    ]);
  });

  it('refuse a reference without a name', () => {
    expect(formattedIssuesOf(() => parse('model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/a\n      api_key: os.environ/\n'))).toEqual([
      'test.yaml:5:16 model_list[0].litellm_params.api_key: os.environ/ needs a variable name, e.g. os.environ/OPENAI_API_KEY',
    ]);
  });
});

describe('environment_variables', () => {
  const text = [
    'environment_variables:',
    '  OPENAI_API_KEY: sk-from-file',
    '  REGION: eu',
    '  PORT_NUMBER: 6379',
    '  VERBOSE: true',
    '  COPIED: os.environ/SOURCE',
    '  COPIED_MISSING: os.environ/NOT_THERE',
    'model_list:',
    '  - model_name: gpt',
    '    litellm_params:',
    '      model: openai/gpt-4o',
    '      api_key: os.environ/OPENAI_API_KEY',
    '      api_base: os.environ/COPIED',
  ].join('\n');

  it('fill in references the environment lacks, and are returned as strings for the caller', () => {
    const loaded = parse(text, { SOURCE: 'https://copied.example.internal/v1' });
    expect(loaded.deployments[0]).toMatchObject({ apiKey: 'sk-from-file', apiBase: 'https://copied.example.internal/v1', missingEnv: [] });
    expect(loaded.environmentVariables).toEqual({
      OPENAI_API_KEY: 'sk-from-file',
      REGION: 'eu',
      PORT_NUMBER: '6379',
      VERBOSE: 'true',
      COPIED: 'https://copied.example.internal/v1',
    });
    expect(loaded.settings.missingEnv).toEqual(['NOT_THERE']);
    expect(loaded.warnings.map(formatIssue)).toEqual([
      'test.yaml:7:19 environment_variables.COPIED_MISSING: warning: environment variable NOT_THERE is not set; COPIED_MISSING is left unset',
    ]);
  });

  it('never override the process environment (LiteLLM only fills in missing names)', () => {
    const loaded = parse(text, { OPENAI_API_KEY: 'sk-from-process', SOURCE: 'x' });
    expect(loaded.deployments[0]?.apiKey).toBe('sk-from-process');
    expect(loaded.environmentVariables['OPENAI_API_KEY']).toBe('sk-from-process');
  });
});

describe('provider default variables (LiteLLM fallbacks)', () => {
  const text = `
model_list:
  - model_name: gpt
    litellm_params: { model: openai/gpt-4o-mini }
  - model_name: explicit
    litellm_params: { model: openai/gpt-4o-mini, api_key: os.environ/MY_KEY }
  - model_name: azure
    litellm_params: { model: azure/prod }
  - model_name: vllm
    litellm_params: { model: hosted_vllm/llama }
`;

  it('fills api_key, api_base and api_version from the provider variables when the entry leaves them out', () => {
    const loaded = parseConfigText(text, 'defaults.yaml', {
      env: { OPENAI_API_KEY: 'sk-env', MY_KEY: 'sk-mine', AZURE_API_KEY: 'az', AZURE_API_BASE: 'https://r.openai.azure.com', AZURE_API_VERSION: '2024-06-01' },
    });
    const byName = new Map(loaded.deployments.map((deployment) => [deployment.modelName, deployment]));
    expect(byName.get('gpt')?.apiKey).toBe('sk-env');
    expect(byName.get('explicit')?.apiKey).toBe('sk-mine');
    expect(byName.get('azure')).toMatchObject({ apiKey: 'az', apiBase: 'https://r.openai.azure.com', apiVersion: '2024-06-01' });
    expect(byName.get('vllm')?.apiKey).toBeUndefined();
    expect(byName.get('gpt')?.missingEnv).toEqual([]);
  });

  it('does not let a provider variable override an explicit reference that is unset', () => {
    const loaded = parseConfigText(text, 'defaults.yaml', { env: { OPENAI_API_KEY: 'sk-env' } });
    const explicit = loaded.deployments.find((deployment) => deployment.modelName === 'explicit');
    expect(explicit?.apiKey).toBeUndefined();
    expect(explicit?.missingEnv).toEqual(['MY_KEY']);
  });
});

describe('router_settings.routing_strategy', () => {
  it('warns that a strategy the router does not implement yet falls back to simple-shuffle', () => {
    const loaded = parseConfigText('router_settings:\n  routing_strategy: least-busy\n', 'routing.yaml', { env: {} });
    expect(loaded.warnings.map(formatIssue)).toContainEqual(expect.stringMatching(/^routing\.yaml:2:\d+ .*router_settings\.routing_strategy: .*least-busy is not supported yet/));
    const plain = parseConfigText('router_settings:\n  routing_strategy: simple-shuffle\n', 'routing.yaml', { env: {} });
    expect(plain.warnings.filter((warning) => warning.path.includes('routing_strategy'))).toEqual([]);
  });
});
