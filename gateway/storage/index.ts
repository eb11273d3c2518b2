export { openDatabase } from './database';
export type { Database, OpenDatabaseOptions, QueryResult, SqlClient } from './database';
export { migrate } from './migrate';
export type { Migration, MigrationReport } from './migrate';
export { MIGRATIONS } from './migrations';
export { KEY_WRITABLE_COLUMNS, KeyRepository } from './key-repository';
export type { KeyFields, KeyRecord, KeyWithOwners, KeyWritableColumn, OwnerLimits } from './key-repository';
export { BUDGETS, END_USERS, EntityRepository, TEAMS, USERS } from './entity-repository';
export type { EntityDescriptor, EntityRow, SqlType } from './entity-repository';
