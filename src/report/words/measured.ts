import type { MeasuredMeta } from '../../classify/measured.js';
import type { RuleWords } from './index.js';

export const measuredWords: RuleWords<MeasuredMeta> = {};
