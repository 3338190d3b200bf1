import type { AuditMeta } from '../../classify/audit.js';
import type { RuleWords } from './index.js';

export const auditWords: RuleWords<AuditMeta> = {};
