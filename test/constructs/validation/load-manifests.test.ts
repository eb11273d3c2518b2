import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createManifestValidator, formatManifestIssues, loadManifestsFromYaml } from '../../../constructs/validation';
import { gatewayConfigMap, gatewayDeployment, gatewayService, NAMESPACE, patch, sharedDir, validatorFor } from './support';

describe('loadManifestsFromYaml', () => {
  it('reads every document, skipping empty ones and flattening Lists', () => {
    // GIVEN
    const text = [
      '---',
      stringify(gatewayConfigMap()),
      '---',
      '# nothing here',
      '---',
      stringify({ apiVersion: 'v1', kind: 'List', items: [gatewayService(), gatewayDeployment()] }),
    ].join('\n');
    // WHEN
    const objects = loadManifestsFromYaml(text);
    // THEN
    expect(objects.map((object) => object.kind)).toEqual(['ConfigMap', 'Service', 'Deployment']);
    expect(objects[0]).toEqual(gatewayConfigMap());
  });

  it('fails on a YAML error or a document that is not a mapping, naming the source', () => {
    expect(() => loadManifestsFromYaml('a: [1, 2\n', 'dist/dev/bad.yaml')).toThrow(/^dist\/dev\/bad\.yaml: document 1: /);
    expect(() => loadManifestsFromYaml('kind: ConfigMap\n---\n- 1\n', 'x.yaml')).toThrow('x.yaml: document 2 is not a mapping (a Kubernetes object must be one)');
  });
});

describe('validateDirectory', () => {
  const directory = mkdtempSync(join(tmpdir(), 'switchyard-manifests-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('validates all files of a synth output together and names the file of each issue', () => {
    // GIVEN a Deployment and its Service in one file, the ConfigMap it needs in another, and a broken Service
    const broken = patch(patch(gatewayService(), '/metadata/name', 'gateway-broken'), '/spec/ports/0/port', '80');
    writeFileSync(join(directory, 'gateway.yaml'), `${stringify(gatewayDeployment())}---\n${stringify(gatewayService())}`);
    writeFileSync(join(directory, 'config.yaml'), stringify(gatewayConfigMap()));
    writeFileSync(join(directory, 'zz-broken.yml'), stringify(broken));
    writeFileSync(join(directory, 'notes.txt'), 'not a manifest');
    // WHEN
    const result = validatorFor().validateDirectory(directory);
    // THEN
    expect(result.files.map((file) => file.slice(directory.length + 1))).toEqual(['config.yaml', 'gateway.yaml', 'zz-broken.yml']);
    expect(result.objects).toHaveLength(4);
    expect(result.issues).toEqual([
      {
        object: `v1 Service ${NAMESPACE}/gateway-broken`,
        path: '/spec/ports/0/port',
        message: 'must be integer, got string "80"',
        rule: 'schema',
        source: 'zz-broken.yml',
      },
    ]);
    expect(formatManifestIssues(result.issues)).toBe(
      [`1 manifest issue`, `v1 Service ${NAMESPACE}/gateway-broken (zz-broken.yml)`, '  /spec/ports/0/port: must be integer, got string "80" [schema]'].join('\n'),
    );
  });
});

describe('createManifestValidator', () => {
  it('fails when sharedDir does not hold the schemas', () => {
    expect(() => createManifestValidator({ sharedDir: join(sharedDir, 'crds') })).toThrow(
      /has no k8s-schemas\/ folder; pass the folder that holds crds\/ and k8s-schemas\/$/,
    );
  });

  it('fails when no Kubernetes version is requested', () => {
    expect(() => createManifestValidator({ sharedDir, kubernetesVersions: [] })).toThrow('kubernetesVersions is empty; list at least one of 1.28, 1.33');
  });

  it('prints no issues plainly', () => {
    expect(formatManifestIssues([])).toBe('no manifest issues');
  });
});
