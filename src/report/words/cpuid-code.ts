import type { CpuidCodeMeta } from '../../classify/cpuid-code.js';
import type { RuleWords } from './index.js';

export const cpuidCodeWords: RuleWords<CpuidCodeMeta> = {};
