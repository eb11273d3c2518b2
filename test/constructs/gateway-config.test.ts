import { describe, expect, it } from 'vitest';

import { renderGatewayConfig, toModelListEntry } from '../../constructs/gateway-config';

describe('renderGatewayConfig', () => {
  it('renders the model list in LiteLLM format and lists the variables it reads', () => {
    // GIVEN
    const models = [
      { name: 'gpt-4o-mini', model: 'openai/gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY', rpm: 600, timeoutSeconds: 120 },
      { name: 'llama', model: 'hosted_vllm/llama', apiBase: 'http://vllm:8000/v1', mode: 'chat', params: { max_retries: 1 } },
    ];

    // WHEN
    const config = renderGatewayConfig({ models, fileName: 'models.yaml', generalSettings: { master_key: 'os.environ/LITELLM_MASTER_KEY' } });

    // THEN
    expect(config.text).toMatchSnapshot();
    expect(config.envReferences).toEqual(['LITELLM_MASTER_KEY', 'OPENAI_API_KEY']);
    expect(config.checksum).toMatch(/^[a-f0-9]{64}$/);
    expect(config.warnings).toEqual([]);
  });

  it('maps typed fields onto litellm_params and model_info', () => {
    // WHEN
    const entry = toModelListEntry({ name: 'a', model: 'openai/a', streamTimeoutSeconds: 30, weight: 2, order: 1, extraHeaders: { 'X-A': 'b' }, info: { id: 'a-1' } }, 0);

    // THEN
    expect(entry).toEqual({
      model_name: 'a',
      litellm_params: { model: 'openai/a', stream_timeout: 30, weight: 2, order: 1, extra_headers: { 'X-A': 'b' } },
      model_info: { id: 'a-1' },
    });
  });

  it('lists includes from Secrets first, checks everything else, and leaves the model list to them when it is empty', () => {
    const include = '/etc/switchyard-include/models/models.yaml';
    const only = renderGatewayConfig({ models: [], includes: [include], fileName: 'models.yaml' });
    expect(only.text).toContain(`include:\n  - ${include}\n`);
    expect(only.text).not.toContain('model_list');
    const both = renderGatewayConfig({ models: [{ name: 'a', model: 'openai/a' }], includes: [include], fileName: 'models.yaml' });
    expect(both.text.indexOf('include:')).toBeLessThan(both.text.indexOf('model_list:'));
    // the rest of the config is still validated at synth
    expect(() => renderGatewayConfig({ models: [{ name: 'a', model: 'nope' }], includes: [include], fileName: 'models.yaml' })).toThrow(/models\.yaml:\d+:\d+ model_list\[0\]\.litellm_params\.model/);
  });

  it('ships files beside the config, validates them with it, and names the file and line of a mistake', () => {
    const models = 'model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/a\n      api_key: os.environ/TEAM_KEY\n';
    const config = renderGatewayConfig({ models: [], files: [{ fileName: 'models.yaml', text: models }], fileName: 'config.yaml' });
    expect(config.text).toContain('include:\n  - models.yaml\n');
    expect(config.envReferences).toEqual(['TEAM_KEY']);
    const changed = renderGatewayConfig({ models: [], files: [{ fileName: 'models.yaml', text: models.replace('openai/a', 'openai/b') }], fileName: 'config.yaml' });
    expect(changed.checksum).not.toBe(config.checksum);

    const broken = models.replace('openai/a', 'no-provider').replace('model_name: a', 'model_name: a\n    rpmm: 1');
    const render = (): unknown => renderGatewayConfig({ models: [], files: [{ fileName: 'models.yaml', text: broken }], fileName: 'config.yaml' });
    expect(render).toThrow(/models\.yaml:5:14 model_list\[0\]\.litellm_params\.model: .*\n {4}5 \|       model: no-provider/);
    expect(() => renderGatewayConfig({ models: [], files: [{ fileName: 'config.yaml', text: models }], fileName: 'config.yaml' })).toThrow('config.yaml is used twice');
  });

  it('is deterministic: the same models give the same checksum', () => {
    const render = () => renderGatewayConfig({ models: [{ name: 'a', model: 'openai/a' }], fileName: 'models.yaml' });
    expect(render().checksum).toBe(render().checksum);
  });

  it('fails when a model is not provider/model, with the file:line:column and field', () => {
    // WHEN / THEN
    expect(() => renderGatewayConfig({ models: [{ name: 'ok', model: 'openai/gpt-4o' }, { name: 'bad', model: 'gpt-4o' }], fileName: 'models.yaml' })).toThrow(
      /models\.yaml:\d+:\d+ model_list\[1\]\.litellm_params\.model: must be provider\/model, got "gpt-4o"/,
    );
  });

  it('fails when a number is out of range, showing the rendered line', () => {
    expect(() => renderGatewayConfig({ models: [{ name: 'a', model: 'openai/a', rpm: -5 }], fileName: 'models.yaml' })).toThrow(
      /models\.yaml:\d+:\d+ model_list\[0\]\.litellm_params\.rpm: must be 0 or more, got -5\n +\d+ \| +rpm: -5/,
    );
  });

  it('fails when a parameter key is misspelt', () => {
    expect(() => renderGatewayConfig({ models: [{ name: 'a', model: 'openai/a', params: { rmp: 10 } }], fileName: 'models.yaml' })).toThrow(
      /model_list\[0\]\.litellm_params\.rmp: unknown key rmp; did you mean rpm\?/,
    );
  });

  it('fails when params repeats a typed field', () => {
    expect(() => toModelListEntry({ name: 'a', model: 'openai/a', params: { rpm: 1 } }, 3)).toThrow(
      'models[3] ("a"): params.rpm duplicates the typed field rpm; set rpm instead',
    );
  });

  it('fails when apiKeyEnv is not a variable name', () => {
    expect(() => toModelListEntry({ name: 'a', model: 'openai/a', apiKeyEnv: 'sk-123' }, 0)).toThrow('apiKeyEnv must be an environment variable name');
  });

  it('fails when a routing strategy is unknown', () => {
    expect(() =>
      renderGatewayConfig({ models: [{ name: 'a', model: 'openai/a' }], fileName: 'models.yaml', routerSettings: { routing_strategy: 'round-robin' } }),
    ).toThrow(/models\.yaml:\d+:\d+ router_settings\.routing_strategy: unknown routing strategy "round-robin"/);
  });
});
