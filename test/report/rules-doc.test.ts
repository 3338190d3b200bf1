/**
 * docs/rules.md is where every rule id links (review comments, SARIF helpUri): each rule the
 * renderers know must have its section, with the class the rule really carries.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { RULES } from '../../src/report/sarif.js';

const doc = readFileSync(join(process.cwd(), 'docs/rules.md'), 'utf8');

/** Level-2 sections as markdown-it sees them: heading text and the text up to the next heading. */
function sections(): Map<string, string> {
  const tokens = new MarkdownIt().parse(doc, {});
  const out = new Map<string, string>();
  let current: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === 'heading_open') {
      current = t.tag === 'h2' ? tokens[i + 1]!.content : undefined;
      if (current !== undefined) out.set(current, '');
    } else if (current !== undefined && t.type === 'inline' && tokens[i - 1]?.type !== 'heading_open') {
      out.set(current, `${out.get(current)}${t.content}\n`);
    }
  }
  return out;
}

describe('docs/rules.md', () => {
  const bySection = sections();

  it.each(RULES.map((r) => [r.id, r.class]))(
    'documents %s as %s, with its meaning and its fix',
    (id, cls) => {
      const text = bySection.get(id);
      expect(text).toBeDefined();
      expect(text).toContain(`**Class:** \`${cls}\``);
      expect(text).toContain('**What it means.**');
      expect(text).toContain('**Why it matters.**');
      expect(text).toContain('**Fix.**');
    },
  );

  it('has no rule section that the renderers do not know', () => {
    const ruleIds = new Set(RULES.map((r) => r.id));
    const documented = [...bySection.keys()].filter((h) => /^[a-z0-9-]+$/.test(h));
    expect(documented.filter((h) => !ruleIds.has(h))).toEqual([]);
  });

  it('tells the QEMU history where it fits', () => {
    expect(bySection.get('compat-confined-change')).toContain('pc_compat_3_1');
    expect(bySection.get('machine-type-host-requirement')).toContain('pc_compat_3_0');
    expect(bySection.get('machine-type-host-requirement')).toContain('waiver');
    expect(bySection.get('version-added')).toContain('Cascadelake-Server-v2');
    expect(bySection.get('released-model-changed')).toContain('X-vN');
  });
});
