export { OperatorError, formatTable, keysCommand, modelsCommand, spendCommand } from './operator-commands';
export type { OperatorContext } from './operator-commands';
