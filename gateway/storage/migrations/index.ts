import type { Migration } from '../migrate';
import { migration0001 } from './0001-initial';

/** Every migration, in version order. Add new ones at the end; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [migration0001];
