export { KeyManagement } from './key-management';
export type { GeneratedKey, KeyCacheInvalidator, KeyInfo } from './key-management';
export {
  keyDeleteSchema,
  keyFieldsSchema,
  keyGenerateSchema,
  keyListQuerySchema,
  keyReferenceSchema,
  keyRegenerateSchema,
  keyUpdateSchema,
} from './key-schemas';
export type { KeyFieldsInput, KeyGenerateInput, KeyListQuery, KeyUpdateInput } from './key-schemas';
