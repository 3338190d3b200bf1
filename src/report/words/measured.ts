import type { FindingFacts } from '../../classify/classified.js';
import type { MeasuredMeta } from '../../classify/measured.js';
import { binariesWords } from './binaries.js';
import type { RuleWording, RuleWords } from './index.js';

export const measuredWords: RuleWords<MeasuredMeta> = {
  'measured-unexplained': ({ meta }) => {
    const { measured, guestReadsAs, hunk } = meta;
    const words = (binariesWords as Record<string, RuleWording<typeof measured.rule, unknown>>)[
      measured.rule
    ]!(measured);
    const where = hunk
      ? ` The catalog's tables do not say it; the pull request's change to ${hunk.function}() (${hunk.path}:${hunk.line}) is where guest CPUID is computed.`
      : " The catalog's tables do not say it, and the pull request changes no function that computes guest CPUID.";
    return {
      title: `Measured, not in the catalog: ${words.title}`,
      message: `${words.message}${guestReadsAs ? ` The guest reads it as: ${guestReadsAs.join(', ')}.` : ''}${where}`,
      fix: words.fix,
    };
  },
};

/** What two binaries showed of a static finding they compared (`check` with binaries). */
export function comparisonWords(f: Pick<FindingFacts, 'comparedBy' | 'confirmedOn'>): string {
  if (!f.comparedBy) return '';
  const { base, head, properties, pairs } = f.comparedBy;
  return f.confirmedOn
    ? ` The two binaries confirm it: ${properties.join(', ')} expands differently in ${head} than in ${base} for ${f.confirmedOn.models.join(', ')} on ${f.confirmedOn.machineTypes.join(', ')}.`
    : ` The two binaries do not show it: ${properties.join(', ')} expands the same in both on the ${pairs} pair(s) of it they compare.`;
}
