import { describe, expect, it } from 'vitest';
import { computeDeploymentId, formatIssue } from '../../../gateway/config';
import { formattedIssuesOf, parse } from './support';

function entry(params: string, modelName = 'gpt'): string {
  return `model_list:\n  - model_name: ${modelName}\n    litellm_params: {${params}}\n`;
}

function idOf(text: string, env: Record<string, string> = {}): string {
  const [deployment] = parse(text, env).deployments;
  if (deployment === undefined) throw new Error('no deployment');
  return deployment.id;
}

describe('deployment ids', () => {
  it('are 16 hex digits, the same for the same input', () => {
    const text = entry('model: openai/gpt-4o, api_base: https://a.example.internal/v1');
    expect(idOf(text)).toMatch(/^[0-9a-f]{16}$/);
    expect(idOf(text)).toBe(idOf(text));
  });

  it('do not change when the value behind a secret reference changes', () => {
    const text = entry('model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY');
    expect(idOf(text, { OPENAI_API_KEY: 'sk-old' })).toBe(idOf(text, { OPENAI_API_KEY: 'sk-rotated' }));
    expect(idOf(text, { OPENAI_API_KEY: 'sk-old' })).toBe(idOf(text));
  });

  it('do not depend on literal secret values (keys and secret headers)', () => {
    expect(idOf(entry('model: openai/gpt-4o, api_key: sk-one'))).toBe(idOf(entry('model: openai/gpt-4o, api_key: sk-two')));
    expect(idOf(entry('model: openai/gpt-4o, extra_headers: {Authorization: Bearer one}'))).toBe(
      idOf(entry('model: openai/gpt-4o, extra_headers: {Authorization: Bearer two}')),
    );
  });

  it('change when the deployment changes', () => {
    const base = idOf(entry('model: openai/gpt-4o, api_base: https://a.example.internal/v1'));
    expect(idOf(entry('model: openai/gpt-4o, api_base: https://b.example.internal/v1'))).not.toBe(base);
    expect(idOf(entry('model: openai/gpt-4o, api_base: https://a.example.internal/v1', 'other'))).not.toBe(base);
    expect(idOf(entry('model: openai/gpt-4o, api_key: os.environ/A'))).not.toBe(idOf(entry('model: openai/gpt-4o, api_key: os.environ/B')));
  });

  it('ignore how numbers and keys are written', () => {
    expect(idOf(entry('model: openai/gpt-4o, rpm: "100", tpm: 5'))).toBe(idOf(entry('tpm: 5, rpm: 100, model: openai/gpt-4o')));
  });

  it('use model_info.id when given', () => {
    const text = 'model_list:\n  - model_name: gpt\n    litellm_params: {model: openai/gpt-4o}\n    model_info: {id: my-deployment}\n';
    expect(idOf(text)).toBe('my-deployment');
  });

  it('match computeDeploymentId', () => {
    const text = entry('model: openai/gpt-4o, rpm: 7');
    expect(idOf(text)).toBe(computeDeploymentId({ model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', rpm: 7 } }));
  });

  it('refuse a model_info.id used twice', () => {
    const text = [
      'model_list:',
      '  - model_name: a',
      '    litellm_params: {model: openai/a}',
      '    model_info: {id: same}',
      '  - model_name: b',
      '    litellm_params: {model: openai/b}',
      '    model_info: {id: same}',
    ].join('\n');
    expect(formattedIssuesOf(() => parse(text))).toEqual([
      'test.yaml:7:22 model_list[1].model_info.id: id "same" is already used by the deployment at test.yaml:2:5; ids must be unique',
    ]);
  });

  it('keep two identical entries apart with a suffix, and warn', () => {
    const text = `${entry('model: openai/gpt-4o')}  - model_name: gpt\n    litellm_params: {model: openai/gpt-4o}\n`;
    const loaded = parse(text);
    const [first, second] = loaded.deployments;
    expect(second?.id).toBe(`${first?.id}-2`);
    expect(loaded.warnings.map(formatIssue)).toEqual([
      `test.yaml:4:5 model_list[1]: warning: repeats the deployment at test.yaml:2:5 (same model_name and litellm_params); both are kept, this one as id ${first?.id}-2`,
    ]);
  });
});
