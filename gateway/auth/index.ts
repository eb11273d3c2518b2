export { MasterKeyAuthenticator, presentedKeyOf } from './master-key';
export type { Authenticator, Principal } from './master-key';
