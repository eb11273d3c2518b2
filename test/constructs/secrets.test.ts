import { Duration, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';

import { SecretStoreKind, Secrets } from '../../constructs/secrets';
import { namespacedChart, onlyObject, validationReport } from './support/manifests';

describe('Secrets', () => {
  it('syncs keys with a remoteKey through an ExternalSecret (external-secrets.io/v1)', () => {
    // GIVEN
    const chart = namespacedChart();
    const secrets = new Secrets(chart, 'Secrets', { storeName: 'vault', refreshInterval: Duration.minutes(15) });

    // WHEN
    const providerKeys = secrets.addSecret('ProviderKeys', {
      name: 'provider-keys',
      keys: [
        { key: 'OPENAI_API_KEY', remoteKey: 'switchyard/providers', remoteProperty: 'openai' },
        { key: 'ANTHROPIC_API_KEY', remoteKey: 'switchyard/providers', remoteProperty: 'anthropic', remoteVersion: '3' },
      ],
    });

    // THEN
    const manifest = Testing.synth(chart);
    expect(manifest).toMatchSnapshot();
    const externalSecret = onlyObject(manifest, 'ExternalSecret');
    expect(externalSecret.apiVersion).toBe('external-secrets.io/v1');
    expect(externalSecret.spec).toEqual({
      refreshInterval: '900s',
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
      target: { name: 'provider-keys', creationPolicy: 'Owner', deletionPolicy: 'Retain' },
      data: [
        { secretKey: 'OPENAI_API_KEY', remoteRef: { key: 'switchyard/providers', property: 'openai' } },
        { secretKey: 'ANTHROPIC_API_KEY', remoteRef: { key: 'switchyard/providers', property: 'anthropic', version: '3' } },
      ],
    });
    expect(providerKeys.value('OPENAI_API_KEY')).toEqual({ secret: providerKeys.secret, key: 'OPENAI_API_KEY' });
    expect(secrets.externalNames).toEqual([]);
    expect(validationReport(manifest, { externalNames: { clusterSecretStores: ['vault'] } })).toBe('no manifest issues');
  });

  it('types a synced pull secret', () => {
    const chart = namespacedChart();
    const secrets = new Secrets(chart, 'Secrets', { storeName: 'aws', storeKind: SecretStoreKind.SECRET_STORE });
    secrets.addSecret('Pull', { name: 'ngc-pull', type: 'kubernetes.io/dockerconfigjson', keys: [{ key: '.dockerconfigjson', remoteKey: 'ngc/pull-secret' }] });
    const spec = onlyObject(Testing.synth(chart), 'ExternalSecret').spec;
    expect(spec.secretStoreRef).toEqual({ kind: 'SecretStore', name: 'aws' });
    expect(spec.target.template).toEqual({ type: 'kubernetes.io/dockerconfigjson' });
  });

  it('only references Secrets another tool creates, rendering nothing', () => {
    // GIVEN
    const chart = namespacedChart();
    const secrets = new Secrets(chart, 'Secrets');

    // WHEN
    const masterKey = secrets.addSecret('MasterKey', { name: 'master-key', keys: [{ key: 'LITELLM_MASTER_KEY' }] });

    // THEN
    expect(Testing.synth(chart)).toEqual([]);
    expect(masterKey.external).toBe(true);
    expect(secrets.externalNames).toEqual(['master-key']);
    expect(masterKey.envValue('LITELLM_MASTER_KEY').valueFrom).toEqual({ secretKeyRef: { key: 'LITELLM_MASTER_KEY', name: 'master-key' } });
  });

  it('fails when a remoteKey has no store to read from', () => {
    const secrets = new Secrets(namespacedChart(), 'Secrets');
    expect(() => secrets.addSecret('Keys', { name: 'keys', keys: [{ key: 'A', remoteKey: 'a' }] })).toThrow(
      'secret "keys": remoteKey needs an External Secrets store; set storeName on Secrets, or drop remoteKey if another tool creates the Secret',
    );
  });

  it('fails when only some keys are synced', () => {
    const secrets = new Secrets(namespacedChart(), 'Secrets', { storeName: 'vault' });
    expect(() => secrets.addSecret('Keys', { name: 'keys', keys: [{ key: 'A', remoteKey: 'a' }, { key: 'B' }] })).toThrow(
      'secret "keys": either every key has a remoteKey (External Secrets writes the Secret) or none does; B has none',
    );
  });

  it('fails when a key is read that was not declared', () => {
    const secrets = new Secrets(namespacedChart(), 'Secrets');
    const secret = secrets.addSecret('Keys', { name: 'keys', keys: [{ key: 'A' }] });
    expect(() => secret.value('B')).toThrow('secret "keys" has no key "B"; declared keys: A');
  });

  it('fails when the same Secret is declared twice', () => {
    const secrets = new Secrets(namespacedChart(), 'Secrets');
    secrets.addSecret('One', { name: 'keys', keys: [{ key: 'A' }] });
    expect(() => secrets.addSecret('Two', { name: 'keys', keys: [{ key: 'B' }] })).toThrow('secret "keys" is declared twice');
  });

  it('fails when the store name is not a name', () => {
    expect(() => new Secrets(namespacedChart(), 'Secrets', { storeName: 'Vault Store' })).toThrow('storeName must be the name of a SecretStore or ClusterSecretStore, got "Vault Store"');
  });
});
