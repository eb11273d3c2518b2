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
export { OrgManagement } from './org-management';
export {
  budgetDeleteSchema,
  budgetInfoSchema,
  budgetNewSchema,
  budgetUpdateSchema,
  customerIdsSchema,
  customerNewSchema,
  customerUpdateSchema,
  pageQuerySchema,
  teamDeleteSchema,
  teamMemberAddSchema,
  teamMemberDeleteSchema,
  teamNewSchema,
  teamUpdateSchema,
  userDeleteSchema,
  userNewSchema,
  userUpdateSchema,
} from './org-schemas';
export { GROUP_BY, SpendReports, globalSpendReportQuerySchema, spendLogsQuerySchema, spendRangeQuerySchema } from './spend-reports';
export type { GlobalSpendReportQuery, SpendLogsQuery } from './spend-reports';
