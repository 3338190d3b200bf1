/**
 * POLICY's rule for libvirt's cpu_map: a released model never changes. The one allowed
 * growth is a feature marked `added='yes'`, which libvirt keeps off for guests defined before
 * it; anything else added, removed or altered (features, their bits, vendor, signatures) needs
 * a new model. libvirt has no machine types, so there is no type-2 class here.
 *
 * A model built on another (`<model name='Skylake-Client'/>`) carries its base's features, so
 * one changed line can change many models: each finding names the line once, with every model
 * it reaches.
 */
import type { FailOn, Finding, FindingClass, FindingLocation, Suggestion } from '../report/finding.js';
import { effectiveLibvirtModel, type LibvirtCpuMap, type LibvirtLocation } from '../parse/libvirt/cpu-map.js';

type Rule =
  | 'libvirt-model-changed'
  | 'libvirt-feature-added'
  | 'libvirt-model-added'
  | 'libvirt-model-removed'
  | 'no-effective-change';

const CLASS_OF: Record<Rule, FindingClass> = {
  'libvirt-model-changed': 'new-model-required',
  'libvirt-model-removed': 'new-model-required',
  'libvirt-feature-added': 'safe',
  'libvirt-model-added': 'safe',
  'no-effective-change': 'safe',
};

interface Cause {
  rule: Rule;
  /** What changed: a feature name, `vendor`, `signature`; none for whole models. */
  property?: string;
  before?: string | boolean | null;
  after?: string | boolean | null;
  location: FindingLocation;
  /** Describes the change without the models, which are added once they are all known. */
  what: string;
  fix: string;
  suggestion?: Suggestion;
  hostGain?: string[];
  models: Set<string>;
}

function verdictFor(cls: FindingClass, failOn: FailOn): Finding['verdict'] {
  if (failOn === 'never' || cls === 'safe') return 'pass';
  if (failOn === 'new-model-required') return cls === 'new-model-required' ? 'fail' : 'pass';
  return 'fail';
}

function at(loc: LibvirtLocation, side: 'RIGHT' | 'LEFT'): FindingLocation {
  return loc.endLine !== undefined
    ? { path: loc.path, line: loc.line, endLine: loc.endLine, side }
    : { path: loc.path, line: loc.line, side };
}

/** The same `<feature .../>` line with `added='yes'`, when the element sits alone on its line. */
function addedYesSuggestion(head: LibvirtCpuMap, loc: LibvirtLocation): Suggestion | undefined {
  if (loc.endLine !== undefined && loc.endLine !== loc.line) return undefined;
  const line = head.files[loc.path]?.split('\n')[loc.line - 1];
  if (line === undefined) return undefined;
  const m = /^(\s*<feature\s+name=(['"])[^'"]+\2)(\s*)(\/>.*)$/.exec(line);
  if (!m) return undefined;
  const q = m[2]!;
  return {
    path: loc.path,
    startLine: loc.line,
    endLine: loc.line,
    replacement: `${m[1]} added=${q}yes${q}${m[3]}${m[4]}`,
  };
}

function describeModels(models: string[]): string {
  return models.length === 1 ? `model ${models[0]}` : `models ${models.join(', ')}`;
}

/** The first line where two texts differ, or undefined when they are equal. */
function firstDifferentLine(a: string, b: string): number | undefined {
  if (a === b) return undefined;
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return i + 1;
  return 1;
}

/**
 * Compares two snapshots of a cpu_map. Every released model of `base` is judged; `base` is
 * the released state (libvirt ships its cpu_map with every release).
 */
export function classifyLibvirt(base: LibvirtCpuMap, head: LibvirtCpuMap, failOn: FailOn): Finding[] {
  const causes = new Map<string, Cause>();
  const record = (c: Omit<Cause, 'models'>, model: string) => {
    const key = [
      c.rule,
      c.property ?? '',
      c.location.side,
      c.location.path,
      c.location.line,
      String(c.before),
      String(c.after),
    ].join('|');
    const existing = causes.get(key);
    if (existing) existing.models.add(model);
    else causes.set(key, { ...c, models: new Set([model]) });
  };

  for (const name of Object.keys(base.models)) {
    const was = base.models[name]!;
    if (!head.models[name]) {
      record(
        {
          rule: 'libvirt-model-removed',
          location: at(was.location, 'LEFT'),
          what: `was removed from the cpu_map; guests defined with it can no longer start`,
          fix: `restore the model (and its include in index.xml): a released model stays for good`,
        },
        name,
      );
      continue;
    }
    const eb = effectiveLibvirtModel(base, name);
    const eh = effectiveLibvirtModel(head, name);

    for (const [fname, hf] of eh.features) {
      const bf = eb.features.get(fname);
      if (!bf) {
        const inherited = hf.from !== name ? ` (through ${hf.from})` : '';
        if (hf.added) {
          record(
            {
              rule: 'libvirt-feature-added',
              property: fname,
              before: false,
              after: true,
              location: at(hf.location, 'RIGHT'),
              what: `gains feature ${fname}${inherited}, marked added='yes': libvirt keeps it off for guests defined before`,
              fix: 'none needed',
            },
            name,
          );
        } else {
          const suggestion = addedYesSuggestion(head, hf.location);
          record(
            {
              rule: 'libvirt-model-changed',
              property: fname,
              before: false,
              after: true,
              location: at(hf.location, 'RIGHT'),
              what: `gains feature ${fname}${inherited} without added='yes': every guest already using the model would get it, and hosts without it could no longer run them`,
              fix: "mark the feature added='yes', or add a new model version with it",
              ...(suggestion ? { suggestion } : {}),
              hostGain: [fname],
            },
            name,
          );
        }
        continue;
      }
      const attrs = (f: typeof hf) =>
        [f.added ? "added='yes'" : '', f.removed ? "removed='yes'" : '', f.extra].filter(Boolean).join(' ') ||
        'no attributes';
      if (attrs(bf) !== attrs(hf)) {
        record(
          {
            rule: 'libvirt-model-changed',
            property: fname,
            before: attrs(bf),
            after: attrs(hf),
            location: at(hf.location, 'RIGHT'),
            what: `feature ${fname} changes from ${attrs(bf)} to ${attrs(hf)}${hf.from !== name ? ` (through ${hf.from})` : ''}`,
            fix: 'revert the attribute change; a released model keeps its feature list as it is',
          },
          name,
        );
      }
      const bd = base.features[fname];
      const hd = head.features[fname];
      if (bd && hd && bd.bits !== hd.bits) {
        record(
          {
            rule: 'libvirt-model-changed',
            property: fname,
            before: bd.bits,
            after: hd.bits,
            location: at(hd.location, 'RIGHT'),
            what: `feature ${fname} now means other bits (${bd.bits} before, ${hd.bits} now)`,
            fix: 'revert the definition; define a feature with a new name for the new bits',
          },
          name,
        );
      }
    }
    for (const [fname, bf] of eb.features) {
      if (eh.features.has(fname)) continue;
      record(
        {
          rule: 'libvirt-model-changed',
          property: fname,
          before: true,
          after: false,
          location: at(bf.location, 'LEFT'),
          what: `loses feature ${fname}${bf.from !== name ? ` (through ${bf.from})` : ''}: guests using the model would see their CPU change`,
          fix: "revert and add a new model version without the feature (or mark it removed='yes' only if libvirt's policy for it allows)",
        },
        name,
      );
    }

    const vendorText = (v: typeof eb.vendor) => (v ? `${v.name} (${v.string})` : 'none');
    if (vendorText(eb.vendor) !== vendorText(eh.vendor)) {
      const sameName = eb.vendor?.name === eh.vendor?.name && eh.vendor;
      const loc = sameName
        ? head.vendors[eh.vendor!.name]!.location
        : (eh.vendor?.location ?? head.models[name]!.location);
      record(
        {
          rule: 'libvirt-model-changed',
          property: 'vendor',
          before: vendorText(eb.vendor),
          after: vendorText(eh.vendor),
          location: at(loc, 'RIGHT'),
          what: `changes vendor from ${vendorText(eb.vendor)} to ${vendorText(eh.vendor)}`,
          fix: 'revert and add a new model for the other vendor',
        },
        name,
      );
    }
    const sigs = (s: typeof eb.signatures) =>
      s
        .map((x) => x.text)
        .sort()
        .join('; ') || 'none';
    if (sigs(eb.signatures) !== sigs(eh.signatures)) {
      const known = new Set(eb.signatures.map((s) => s.text));
      const changed = eh.signatures.find((s) => !known.has(s.text));
      const loc = changed?.location ?? head.models[name]!.location;
      record(
        {
          rule: 'libvirt-model-changed',
          property: 'signature',
          before: sigs(eb.signatures),
          after: sigs(eh.signatures),
          location: at(loc, 'RIGHT'),
          what: `changes its CPU signatures from ${sigs(eb.signatures)} to ${sigs(eh.signatures)}`,
          fix: 'revert the signature change, or add a new model for the other CPUs',
        },
        name,
      );
    }
  }

  for (const name of Object.keys(head.models)) {
    if (base.models[name]) continue;
    record(
      {
        rule: 'libvirt-model-added',
        location: at(head.models[name]!.location, 'RIGHT'),
        what: 'is new; no guest uses it yet',
        fix: 'none needed',
      },
      name,
    );
  }

  const findings: Finding[] = [...causes.values()].map((c) => toFinding(c, failOn));

  // Edits that change no model (comments, order, decode hints, unused feature definitions) are
  // still said to be safe, once per file, so that a reviewer sees the file was looked at.
  const touched = new Set(findings.map((f) => f.location.path));
  // index.xml changes with every added or removed model; those findings already explain it.
  if (findings.some((f) => f.rule === 'libvirt-model-added' || f.rule === 'libvirt-model-removed')) {
    for (const m of [base, head]) touched.add(m.dir === '.' ? 'index.xml' : `${m.dir}/index.xml`);
  }
  const paths = new Set([...Object.keys(base.files), ...Object.keys(head.files)]);
  for (const p of [...paths].sort()) {
    if (touched.has(p)) continue;
    const hb = base.files[p];
    const hh = head.files[p];
    const line = hh === undefined || hb === undefined ? 1 : firstDifferentLine(hb, hh);
    if (line === undefined) continue;
    const side = hh === undefined ? 'LEFT' : 'RIGHT';
    const models = Object.values(side === 'LEFT' ? base.models : head.models)
      .filter((m) => m.location.path === p)
      .map((m) => m.name);
    findings.push(
      toFinding(
        {
          rule: 'no-effective-change',
          location: { path: p, line, side },
          what: `${p} changed, but no model did: ${hh === undefined ? 'the file is no longer read' : 'comments, order, decode hints or definitions no model uses'}`,
          fix: 'none needed',
          models: new Set(models),
        },
        failOn,
      ),
    );
  }

  const rank = (c: FindingClass) => ['new-model-required', 'type-2', 'safe'].indexOf(c);
  return findings.sort(
    (a, b) =>
      rank(a.class) - rank(b.class) ||
      a.location.path.localeCompare(b.location.path) ||
      a.location.line - b.location.line ||
      a.rule.localeCompare(b.rule),
  );
}

function toFinding(c: Cause, failOn: FailOn): Finding {
  const models = [...c.models].sort();
  const cls = CLASS_OF[c.rule];
  const subject = models.length ? `${describeModels(models)} ` : '';
  const titles: Record<Rule, string> = {
    'libvirt-model-changed': `released ${describeModels(models)} changed${c.property ? `: ${c.property}` : ''}`,
    'libvirt-feature-added': `${c.property} added to ${describeModels(models)} with added='yes'`,
    'libvirt-model-added': `new ${describeModels(models)}`,
    'libvirt-model-removed': `released ${describeModels(models)} removed`,
    'no-effective-change': `no model changes in ${c.location.path}`,
  };
  const finding: Finding = {
    rule: c.rule,
    class: cls,
    verdict: verdictFor(cls, failOn),
    title: titles[c.rule],
    message: c.rule === 'no-effective-change' ? c.what : `${subject}${c.what}.`,
    models,
    machineTypes: [],
    location: c.location,
    fix: c.fix,
    fingerprint: [c.rule, models.join(','), c.property ?? ''].join('|'),
  };
  if (c.property !== undefined) finding.property = c.property;
  if (c.before !== undefined) finding.before = c.before;
  if (c.after !== undefined) finding.after = c.after;
  if (c.suggestion) finding.suggestion = c.suggestion;
  if (c.hostGain)
    finding.hostRequirement = { gained: c.hostGain, why: 'a CPU feature: the host CPU must have it' };
  return finding;
}
