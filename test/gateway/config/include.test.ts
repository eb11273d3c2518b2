import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadConfigFile, parseConfigText } from '../../../gateway/config';
import { FIXTURES, formattedIssuesOf, parse } from './support';

describe('include', () => {
  const main = join(FIXTURES, 'include', 'main.yaml');
  const loaded = loadConfigFile(main, { env: {} });

  it('appends included model_list entries after the including file, nested includes relative to their own file', () => {
    expect(loaded.deployments.map((deployment) => [deployment.modelName, deployment.source.file, deployment.source.line])).toEqual([
      ['main-model', main, 6],
      ['team-a', join(FIXTURES, 'include', 'models', 'team-a.yaml'), 5],
      ['shared', join(FIXTURES, 'include', 'models', 'nested', 'shared.yaml'), 2],
      ['team-b', join(FIXTURES, 'include', 'models', 'team-b.yaml'), 2],
    ]);
  });

  it('lists every file read, main first', () => {
    expect(loaded.files).toEqual([
      resolve(main),
      resolve(FIXTURES, 'include', 'models', 'team-a.yaml'),
      resolve(FIXTURES, 'include', 'models', 'nested', 'shared.yaml'),
      resolve(FIXTURES, 'include', 'models', 'team-b.yaml'),
    ]);
  });

  it('lets an included non-list key replace the including file’s, as LiteLLM does, with a warning', () => {
    const teamB = join(FIXTURES, 'include', 'models', 'team-b.yaml');
    expect(loaded.settings.masterKey).toBe('sk-team-b');
    expect(loaded.warnings.map(formatIssue)).toEqual([
      `${teamB}:5:16 model_list[0].litellm_params.api_key: warning: environment variable TEAM_B_KEY is not set; api_key is left unset`,
      `${teamB}:6:1 general_settings: warning: replaces general_settings from ${main}: an included file's general_settings wins over the including file's, as in LiteLLM (only lists are appended)`,
    ]);
  });

  it('drops the include key from the typed config', () => {
    expect(loaded.config).not.toHaveProperty('include');
    expect(loaded.config.model_list).toHaveLength(4);
  });

  it('resolves includes against baseDir for text passed in', () => {
    const text = readFileSync(main, 'utf8');
    const fromText = parseConfigText(text, 'main.yaml', { env: {}, baseDir: join(FIXTURES, 'include') });
    expect(fromText.deployments.map((deployment) => deployment.source.file)).toEqual([
      'main.yaml',
      join('models', 'team-a.yaml'),
      join('models', 'nested', 'shared.yaml'),
      join('models', 'team-b.yaml'),
    ]);
  });

  it('reports an include cycle where it closes', () => {
    const a = join(FIXTURES, 'include-cycle', 'a.yaml');
    const b = join(FIXTURES, 'include-cycle', 'b.yaml');
    expect(formattedIssuesOf(() => loadConfigFile(a, { env: {} }))).toEqual([
      `${b}:6:5 include[0]: include cycle: ${a} → ${b} → ${a}; remove one of these includes`,
    ]);
  });

  it('reports a file that includes itself', () => {
    const text = 'include:\n  - self.yaml\nmodel_list: []\n';
    expect(formattedIssuesOf(() => parseConfigText(text, 'self.yaml', { env: {}, baseDir: FIXTURES }))).toEqual([
      'self.yaml:2:5 include[0]: include cycle: self.yaml → self.yaml; remove one of these includes',
    ]);
  });

  it('reports a missing file (and a folder) at the include line of the including file', () => {
    const main = join(FIXTURES, 'include-missing', 'main.yaml');
    expect(formattedIssuesOf(() => loadConfigFile(main, { env: {} }))).toEqual([
      `${main}:6:5 include[0]: included file ${join(FIXTURES, 'include-missing', 'models', 'missing.yaml')} not found`,
      `${main}:7:5 include[1]: included file ${join(FIXTURES, 'include-missing', 'models')} is a folder, not a file`,
    ]);
  });

  it('reports errors in the included file with that file’s name, line and path', () => {
    const main = join(FIXTURES, 'include-error', 'main.yaml');
    const child = join(FIXTURES, 'include-error', 'child.yaml');
    const [parentError, childError, ...rest] = formattedIssuesOf(() => loadConfigFile(main, { env: {} }));
    expect(parentError).toBe(`${main}:7:12 model_list[0].litellm_params.rpm: expected a number, got "many"`);
    expect(childError).toMatch(
      new RegExp(`^${child.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:14 model_list\\[1\\]\\.litellm_params\\.model: provider vertex_ai is not supported yet`),
    );
    expect(rest).toEqual([]);
  });

  it('requires a list of paths, as LiteLLM does', () => {
    expect(formattedIssuesOf(() => parse('include: models.yaml\nmodel_list: []\n'))).toEqual([
      'test.yaml:1:10 include: must be a list of file paths, e.g. include: [models.yaml]',
    ]);
    expect(formattedIssuesOf(() => parse('include:\n  - 42\nmodel_list: []\n'))).toEqual([
      'test.yaml:2:5 include[0]: expected a file path, got 42',
    ]);
  });

  it('leaves deferred includes of the main text unread, and still reads and checks every other one', () => {
    // GIVEN a config whose first include exists only in the pod (mounted from a Secret)
    const text = 'include:\n  - /etc/switchyard-include/models/models.yaml\n  - models/missing.yaml\nmodel_list: []\n';

    // WHEN it is parsed with that include deferred
    const attempt = (): unknown =>
      parseConfigText(text, 'models.yaml', { env: {}, baseDir: join(FIXTURES, 'include-missing'), deferredIncludes: ['/etc/switchyard-include/models/models.yaml'] });

    // THEN only the other, missing include is an error
    expect(formattedIssuesOf(attempt)).toEqual([`models.yaml:3:5 include[1]: included file models/missing.yaml not found`]);
    expect(
      parseConfigText('include: [/etc/switchyard-include/models/models.yaml]\n', 'models.yaml', { env: {}, deferredIncludes: ['/etc/switchyard-include/models/models.yaml'] })
        .deployments,
    ).toEqual([]);
  });
});
