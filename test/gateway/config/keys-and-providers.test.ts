import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatIssue,
  LITELLM_UNSUPPORTED_PROVIDERS,
  loadConfigFile,
  parseProviderModel,
  SUPPORTED_PROVIDERS,
} from '../../../gateway/config';
import { FIXTURES, formattedIssuesOf, parse } from './support';

const SUPPORTED = SUPPORTED_PROVIDERS.join(', ');

describe('keys Switchyard ignores are warnings, never errors', () => {
  it('names LiteLLM keys not supported yet, misplaced keys, and misspelt keys with a suggestion', () => {
    const file = join(FIXTURES, 'warnings.yaml');
    const loaded = loadConfigFile(file, { env: {} });
    expect(loaded.warnings.map(formatIssue)).toEqual([
      `${file}:5:7 model_list[0].litellm_params.temprature: warning: unknown key temprature; did you mean temperature? it is ignored`,
      `${file}:6:7 model_list[0].litellm_params.aws_region_name: warning: aws_region_name is not supported yet and is ignored`,
      `${file}:7:5 model_list[0].model_infos: warning: unknown key model_infos; did you mean model_info? it is ignored`,
      `${file}:8:1 model_lsit: warning: unknown key model_lsit; did you mean model_list? it is ignored`,
      `${file}:9:1 guardrails: warning: guardrails is not supported yet and is ignored`,
      `${file}:11:3 litellm_settings.callbacks: warning: callbacks is not supported yet and is ignored`,
      `${file}:12:3 litellm_settings.master_key: warning: master_key belongs in general_settings, not litellm_settings; here it is ignored`,
      `${file}:14:3 router_settings.redis_host: warning: redis_host is not supported yet and is ignored`,
      `${file}:16:3 general_settings.store_model_in_db: warning: store_model_in_db is not supported yet and is ignored`,
      `${file}:17:3 general_settings.totally_made_up: warning: unknown key totally_made_up; it is ignored`,
    ]);
    expect(loaded.deployments).toHaveLength(1);
  });

  it('keeps ignored keys in the typed config, untouched', () => {
    const loaded = loadConfigFile(join(FIXTURES, 'warnings.yaml'), { env: {} });
    expect(loaded.config.router_settings?.['redis_host']).toBe('redis.example.internal');
    expect(loaded.deployments[0]?.extraParams).toEqual({});
  });

  it('does not crash on odd shapes under unknown keys', () => {
    const loaded = parse('model_list: []\nmystery:\n  - [1, {a: null}]\n  - ~\n');
    expect(loaded.warnings.map(formatIssue)).toContain('test.yaml:2:1 mystery: warning: unknown key mystery; it is ignored');
  });

  it('points a litellm_params key written one level too high at litellm_params', () => {
    const loaded = parse('model_list:\n  - model_name: a\n    api_base: http://x\n    litellm_params: {model: openai/a}\n');
    expect(loaded.warnings.map(formatIssue)).toEqual([
      'test.yaml:3:5 model_list[0].api_base: warning: api_base belongs in model_list[].litellm_params, not a model_list entry; here it is ignored',
    ]);
  });
});

describe('providers', () => {
  it('has one exported list of supported providers', () => {
    expect(SUPPORTED_PROVIDERS).toEqual([
      'openai',
      'azure',
      'anthropic',
      'hosted_vllm',
      'nvidia_nim',
      'groq',
      'mistral',
      'deepseek',
      'together_ai',
      'openrouter',
      'fireworks_ai',
      'xai',
      'lm_studio',
      'ollama',
      'ollama_chat',
      'text-completion-openai',
    ]);
    expect(LITELLM_UNSUPPORTED_PROVIDERS.filter((name) => (SUPPORTED_PROVIDERS as readonly string[]).includes(name))).toEqual([]);
  });

  it.each(['bedrock', 'vertex_ai', 'gemini', 'cohere'])('refuses LiteLLM provider %s as not supported yet', (provider) => {
    expect(parseProviderModel(`${provider}/some-model`)).toEqual({
      ok: false,
      key: 'model',
      message: `provider ${provider} is not supported yet; supported providers: ${SUPPORTED}`,
    });
  });

  it('points vllm/ users at hosted_vllm/', () => {
    expect(parseProviderModel('vllm/meta-llama/Llama-3.1-8B-Instruct')).toMatchObject({
      ok: false,
      message: 'provider vllm is not supported yet: vllm/ runs vLLM inside the LiteLLM process; for a vLLM server write hosted_vllm/<model> and set api_base',
    });
  });

  it('refuses an unknown provider, listing the supported ones', () => {
    expect(formattedIssuesOf(() => parse('model_list:\n  - model_name: a\n    litellm_params:\n      model: acme-cloud/model-1\n'))).toEqual([
      `test.yaml:4:14 model_list[0].litellm_params.model: unknown provider "acme-cloud"; supported providers: ${SUPPORTED}; if "acme-cloud/model-1" is the model id, put the provider in front, e.g. hosted_vllm/acme-cloud/model-1`,
    ]);
  });

  it('suggests the closest provider for a typo', () => {
    expect(parseProviderModel('antropic/claude-sonnet-4-5')).toEqual({
      ok: false,
      key: 'model',
      message: `unknown provider "antropic"; did you mean anthropic? supported providers: ${SUPPORTED}`,
    });
  });

  it('gives a fix for a bare model name', () => {
    expect(parseProviderModel('gpt-4o')).toMatchObject({ ok: false, message: expect.stringContaining('write it as openai/gpt-4o') });
    expect(parseProviderModel('claude-sonnet-4-5')).toMatchObject({ ok: false, message: expect.stringContaining('write it as anthropic/claude-sonnet-4-5') });
    expect(parseProviderModel('openai/')).toMatchObject({ ok: false, message: expect.stringContaining('add the model name after the slash') });
  });

  it('splits at the first slash only', () => {
    expect(parseProviderModel('hosted_vllm/meta-llama/Llama-3.1-8B-Instruct')).toEqual({
      ok: true,
      provider: 'hosted_vllm',
      model: 'meta-llama/Llama-3.1-8B-Instruct',
    });
  });

  it('honours custom_llm_provider, dropping a repeated prefix', () => {
    expect(parseProviderModel('llama3.1', 'ollama_chat')).toEqual({ ok: true, provider: 'ollama_chat', model: 'llama3.1' });
    expect(parseProviderModel('groq/llama-3.1-8b-instant', 'groq')).toEqual({ ok: true, provider: 'groq', model: 'llama-3.1-8b-instant' });
    expect(
      formattedIssuesOf(() => parse('model_list:\n  - model_name: a\n    litellm_params: {model: x, custom_llm_provider: sagemaker}\n')),
    ).toEqual([
      `test.yaml:3:53 model_list[0].litellm_params.custom_llm_provider: provider sagemaker is not supported yet; supported providers: ${SUPPORTED}`,
    ]);
  });
});
