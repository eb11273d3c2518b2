export { GatewayAuthenticator, MasterKeyAuthenticator, presentedKeyOf, resolveModelForPrincipal } from './master-key';
export type { Authenticator, GatewayAuthenticatorOptions, KeyLookup, Principal } from './master-key';
export { VIRTUAL_KEY_PREFIX, generateVirtualKey, hashVirtualKey, toKeyHash, virtualKeyName } from './virtual-keys';
