import type { MachineCatalogMeta } from '../../classify/machine-catalog.js';
import type { RuleWords } from './index.js';

const NONE_NEEDED = 'none needed';

export const machineCatalogWords: RuleWords<MachineCatalogMeta> = {
  'model-added': ({ meta }) => ({
    title: `New CPU model ${meta.model}`,
    message: `${meta.model} is a new model (${meta.names.join(', ')}); no existing VM can be using it.`,
    fix: NONE_NEEDED,
  }),
  'version-added': ({ meta }) => ({
    title: `New model version ${meta.name}`,
    message: `${meta.name} is a new version of ${meta.model}${meta.alias ? ` (alias ${meta.alias})` : ''}: released names keep their definitions.`,
    fix: NONE_NEEDED,
  }),
  'alias-added': ({ meta }) => ({
    title: `New alias ${meta.name}`,
    message: `${meta.name} is a new name for ${meta.model}-v${meta.version}.`,
    fix: NONE_NEEDED,
  }),
};
