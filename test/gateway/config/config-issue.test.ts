import { describe, expect, it } from 'vitest';
import { ConfigError, formatConfigPath, formatIssue } from '../../../gateway/config';
import type { ConfigIssue } from '../../../gateway/config';

const error: ConfigIssue = {
  file: 'models.yaml',
  line: 14,
  column: 7,
  path: 'model_list[2].litellm_params.model',
  message: 'must be provider/model, got "gpt-4o"; write it as openai/gpt-4o',
  severity: 'error',
};

describe('formatIssue', () => {
  it('renders file:line:column path: message', () => {
    expect(formatIssue(error)).toBe('models.yaml:14:7 model_list[2].litellm_params.model: must be provider/model, got "gpt-4o"; write it as openai/gpt-4o');
  });

  it('labels warnings', () => {
    expect(formatIssue({ ...error, severity: 'warning', message: 'x' })).toBe('models.yaml:14:7 model_list[2].litellm_params.model: warning: x');
  });

  it('leaves out a missing position and an empty path', () => {
    expect(formatIssue({ ...error, line: 0, column: 0, path: '', message: 'file not found' })).toBe('models.yaml: file not found');
  });
});

describe('formatConfigPath', () => {
  it('uses dots for plain keys, brackets for indexes and other keys', () => {
    expect(formatConfigPath(['model_list', 2, 'litellm_params', 'extra_headers', 'X-Team', 'a.b'])).toBe(
      'model_list[2].litellm_params.extra_headers.X-Team["a.b"]',
    );
  });
});

describe('ConfigError', () => {
  it('keeps every issue and lists the errors in its message', () => {
    const warning: ConfigIssue = { ...error, severity: 'warning', message: 'ignored' };
    const second: ConfigIssue = { ...error, line: 20, path: 'model_list[3].litellm_params.rpm', message: 'expected a number, got "fast"' };
    const thrown = new ConfigError([error, warning, second]);
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown.name).toBe('ConfigError');
    expect(thrown.issues).toEqual([error, warning, second]);
    expect(thrown.message).toBe(`${formatIssue(error)}\n${formatIssue(second)}`);
  });
});
