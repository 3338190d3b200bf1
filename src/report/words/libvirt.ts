import type { LibvirtMeta } from '../../classify/libvirt.js';
import type { RuleWords } from './index.js';

export const libvirtWords: RuleWords<LibvirtMeta> = {};
