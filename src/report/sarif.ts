/**
 * SARIF 2.1.0 for code scanning and other SARIF viewers: one run, one rule per rule id, one
 * result per finding, waived findings as suppressed results rather than dropped ones.
 */
import type * as Sarif from 'sarif';
import type { Finding, FindingClass, Report } from './finding.js';
import { describeWaiver } from './text.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** The key under `partialFingerprints`; bump the version if the fingerprint recipe changes. */
export const SARIF_FINGERPRINT_KEY = 'cpuModelGuard/v1';

export interface RuleDescription {
  id: string;
  class: FindingClass;
  /** One line. */
  summary: string;
  /** What the rule checks and why, in a paragraph. */
  description: string;
  /** Its findings are listed for review and fail only with fail-on-review. */
  review?: boolean;
}

/** Every rule id the engine emits, with the class it always carries; docs/rules.md explains each. */
export const RULES: readonly RuleDescription[] = [
  {
    id: 'released-model-changed',
    class: 'new-model-required',
    summary: 'A released CPU model changed on a released machine type',
    description:
      'What a guest sees for a released model name on a released machine type must never change: ' +
      'the change alters the guest ABI of running VMs or adds a host requirement under them. ' +
      'Add a new model version (or name) instead.',
  },
  {
    id: 'machine-type-host-requirement',
    class: 'type-2',
    summary: 'A newer machine type requires more from the host than an older one (type-2 change)',
    description:
      'For an existing model, moving a VM to the newer machine type makes it need a host CPU or ' +
      'kernel feature that the older machine type did not need, so a host that ran the VM may ' +
      'no longer run it. Put the feature in a new model version instead.',
  },
  {
    id: 'released-name-removed',
    class: 'new-model-required',
    summary: 'A released model, version or alias name was removed',
    description:
      'VMs and management layers refer to released names; removing one without deprecating it ' +
      'first makes those VMs fail to start. Keep the name, or deprecate it in a release first.',
  },
  {
    id: 'alias-retargeted',
    class: 'new-model-required',
    summary: 'A released alias now points to a different model version',
    description:
      'An alias name is a promise of one definition; pointing it elsewhere changes what existing ' +
      'VMs get. Keep the alias where it was and add a new name for the new target.',
  },
  {
    id: 'name-conflict',
    class: 'new-model-required',
    summary: 'A new name collides with a name that is already registered',
    description:
      'Two registrations under one name make which definition a VM gets depend on registration ' +
      'order. Choose a name that is not taken.',
  },
  {
    id: 'deprecated-name-removed',
    class: 'safe',
    summary: 'A name that was deprecated in the base was removed',
    description: 'Removal after deprecation follows the project’s own deprecation policy.',
  },
  {
    id: 'model-added',
    class: 'safe',
    summary: 'A new CPU model was added',
    description: 'No existing VM uses a model that did not exist before.',
  },
  {
    id: 'version-added',
    class: 'safe',
    summary: 'A new version of a CPU model was added',
    description: 'A new version is the intended way to change a released model.',
  },
  {
    id: 'alias-added',
    class: 'safe',
    summary: 'A new alias name was added',
    description: 'A new name changes nothing for VMs that use existing names.',
  },
  {
    id: 'compat-confined-change',
    class: 'safe',
    summary: 'A model change that compat properties confine to new machine types',
    description:
      'Released machine types keep what they had through compat properties, and the new machine ' +
      'type gains no host requirement.',
  },
  {
    id: 'new-property-default',
    class: 'safe',
    summary: 'A CPU property new in this change takes its default on the machine types the base had',
    description:
      'The base has no such property and no compat entry sets it, so the default is taken as the ' +
      'behaviour the base had in code; a default that changes old machine types needs a compat entry.',
  },
  {
    id: 'property-removed',
    class: 'safe',
    summary: 'A CPU property only the older QEMU binary reports',
    description:
      'verify: the newer binary has no such property (a knob QEMU dropped). What guests read is ' +
      'compared by CPUID on the same machine types and models; a difference there is its own finding.',
  },
  {
    id: 'unreleased-change',
    class: 'safe',
    summary: 'A change to an entry that no release has shipped yet',
    description: 'Entries added in the current development cycle are still free to change.',
  },
  {
    id: 'no-effective-change',
    class: 'safe',
    summary: 'An edit that changes no effective model',
    description: 'Comments, ordering and formatting: every effective model stays the same.',
  },
  {
    id: 'libvirt-model-changed',
    class: 'new-model-required',
    summary: 'A released libvirt CPU model changed',
    description:
      'libvirt never changes a released model: deleting a feature line, dropping a mark, or adding ' +
      "a feature without added='yes' changes what existing domains get. Add a new model instead.",
  },
  {
    id: 'libvirt-feature-added',
    class: 'safe',
    summary: "A feature was added to a libvirt model with added='yes'",
    description:
      "libvirt's own mechanism for extending a model: features marked added='yes' stay out of the " +
      "model's CPUID data, and check='full' does not fail a domain when the hypervisor enables them.",
  },
  {
    id: 'libvirt-feature-removed',
    class: 'safe',
    summary: "A feature of a libvirt model was marked removed='yes'",
    description:
      "libvirt's own mechanism for taking a feature out of a model: it leaves the model's data, " +
      'domains that start fresh get it written disabled, and domains restored or migrated in keep it.',
  },
  {
    id: 'libvirt-model-added',
    class: 'safe',
    summary: 'A new libvirt CPU model was added',
    description: 'No existing domain uses a model that did not exist before.',
  },
  {
    id: 'libvirt-model-removed',
    class: 'new-model-required',
    summary: 'A released libvirt CPU model was removed',
    description: 'Domains that name the model can no longer be defined or started. Keep the model.',
  },
  {
    id: 'measured-unexplained',
    class: 'new-model-required',
    summary: 'Two QEMU binaries give guests something no catalog finding explains',
    description:
      'check with base and head binaries measured a difference (expansion, alias or CPUID) on machine ' +
      'types the catalog has, and no static finding of the same property and pair explains it: code, ' +
      'not the tables, changed what guests get. It carries the class verify gives the difference ' +
      '(type-2 for host growth between machine types, safe for a knob only one binary has).',
  },
  {
    id: 'cpuid-code-ungated',
    class: 'new-model-required',
    review: true,
    summary: 'Code that computes guest CPUID changed, and no compat property gates it',
    description:
      'The hunk changes a function such as cpu_x86_cpuid() or kvm_arch_get_supported_cpuid(), and every ' +
      'released machine type runs the new code. If guests see a difference, gate it on a new x- CPU ' +
      'property whose default is the new behaviour and that the newest released pc_compat_X_Y sets to ' +
      'the old one. Listed for review: it fails only with fail-on-review.',
  },
  {
    id: 'cpuid-code-half-gated',
    class: 'new-model-required',
    summary:
      'Code that computes guest CPUID changed behind a property some released machine types do not set',
    description:
      'The new code reads a CPU property that compat entries keep on the old behaviour for older ' +
      'machine types only: newer released machine types get the new behaviour. Gate it on a property ' +
      'set in the newest released compat array.',
  },
  {
    id: 'cpuid-code-gated',
    class: 'safe',
    summary: 'Code that computes guest CPUID changed behind a compat property',
    description:
      'The new code reads a CPU property that compat entries set to the old behaviour on every ' +
      'released machine type: only new machine types see the change.',
  },
];

/** docs/rules.md in the project's repository, where the action is published from. */
export const PROJECT_RULE_DOCS_URL =
  'https://github.com/cpu-model-guard/cpu-model-guard/blob/main/docs/rules.md';

export interface SarifRenderOptions {
  /**
   * Base URL of docs/rules.md: each rule's helpUri is `${ruleDocsUrl}#<rule-id>`; the project's
   * own docs when not given.
   */
  ruleDocsUrl?: string;
  /** The tool's home page. */
  informationUri?: string;
}

function failsUnder(cls: FindingClass, failOn: Report['failOn']): boolean {
  if (failOn === 'never' || cls === 'safe') return false;
  return failOn === 'type-2' || cls === 'new-model-required';
}

function levelOfClass(cls: FindingClass, failOn: Report['failOn']): Sarif.ReportingConfiguration.level {
  if (cls === 'safe') return 'note';
  return failsUnder(cls, failOn) ? 'error' : 'warning';
}

/**
 * A waived finding keeps the level it would have had: the suppression, not a lower level, says
 * that it was accepted, so viewers can still show it as what it is.
 */
function levelOfFinding(f: Finding, failOn: Report['failOn']): Sarif.Result.level {
  if (f.verdict === 'fail') return 'error';
  // Listed for a person to judge: never an error unless fail-on-review made it fail.
  if (f.verdict === 'review') return 'warning';
  return levelOfClass(f.class, failOn);
}

function toPascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/**
 * The result's message: what changed and the fix. The title is the rule's short description's
 * instance and viewers show the rule beside it, so the message does not repeat it.
 */
function resultMessage(f: Finding): string {
  const parts = [f.message];
  if (f.hostRequirement && f.hostRequirement.gained.length) {
    parts.push(`Host requirement gained: ${f.hostRequirement.gained.join(', ')}; ${f.hostRequirement.why}.`);
  }
  parts.push(`Fix: ${f.fix}`);
  return parts.join(' ');
}

/** The uriBaseId of locations in the base revision; head's files are the run's own. */
export const SARIF_BASE_URI_ID = 'BASE';

/**
 * Where a result sits. A removal's own lines exist only in base: the result sits at the head
 * line where they were, and a related location, in the base revision, shows them.
 */
function resultLocations(f: Finding): Pick<Sarif.Result, 'locations' | 'relatedLocations'> {
  const here = (
    uriBaseId?: string,
    line = f.location.line,
    endLine = f.location.endLine,
  ): Sarif.Location => ({
    physicalLocation: {
      artifactLocation: { uri: f.location.path, ...(uriBaseId ? { uriBaseId } : {}) },
      region: region(line, endLine),
    },
  });
  if (f.location.side === 'RIGHT') return { locations: [here()] };
  const removed: Sarif.Location = {
    ...here(SARIF_BASE_URI_ID),
    message: { text: 'The removed lines, in the base revision.' },
  };
  if (f.location.headLine === undefined) return { locations: [removed] };
  return {
    locations: [
      {
        ...here(undefined, f.location.headLine, f.location.headLine),
        message: { text: 'Where head removed the lines.' },
      },
    ],
    relatedLocations: [{ id: 1, ...removed }],
  };
}

function region(startLine: number, endLine?: number): Sarif.Region {
  return { startLine, endLine: endLine && endLine >= startLine ? endLine : startLine };
}

function suggestionChange(s: NonNullable<Finding['suggestion']>): Sarif.ArtifactChange {
  return {
    artifactLocation: { uri: s.path },
    replacements: [
      {
        deletedRegion: region(s.startLine, s.endLine),
        // An empty replacement deletes the lines; SARIF says so by inserting nothing.
        ...(s.replacement === ''
          ? {}
          : {
              insertedContent: { text: s.replacement.endsWith('\n') ? s.replacement : `${s.replacement}\n` },
            }),
      },
    ],
  };
}

function addedLinesChange(x: NonNullable<Finding['fixLines']>): Sarif.ArtifactChange {
  return {
    artifactLocation: { uri: x.path },
    replacements: [
      {
        // An empty region at the start of the next line: an insertion, nothing deleted.
        deletedRegion: { startLine: x.afterLine + 1, startColumn: 1, endColumn: 1 },
        insertedContent: { text: x.text.endsWith('\n') ? x.text : `${x.text}\n` },
      },
    ],
  };
}

/**
 * SARIF fixes, each a whole fix: the revert of the changed line together with the lines that
 * carry the change where it belongs (a new model version, a compat entry) is one fix; the revert
 * alone is another, for when the change is not wanted at all.
 */
function fixesOf(f: Finding): Sarif.Fix[] {
  const fixes: Sarif.Fix[] = [];
  const revert = f.suggestion ? suggestionChange(f.suggestion) : undefined;
  const added = f.fixLines ? addedLinesChange(f.fixLines) : undefined;
  if (revert && added) {
    // Both in one file: SARIF wants one artifactChange per file, replacements in order.
    const sameFile = f.suggestion!.path === f.fixLines!.path;
    fixes.push({
      description: { text: f.fix },
      artifactChanges: sameFile
        ? [
            {
              artifactLocation: revert.artifactLocation,
              replacements: [...revert.replacements, ...added.replacements].sort(
                (a, b) => a.deletedRegion.startLine! - b.deletedRegion.startLine!,
              ),
            },
          ]
        : [revert, added],
    });
  }
  if (revert) fixes.push({ description: { text: 'Revert the change' }, artifactChanges: [revert] });
  else if (added)
    fixes.push({
      description: { text: `Add after line ${f.fixLines!.afterLine} of ${f.fixLines!.path}` },
      artifactChanges: [added],
    });
  return fixes;
}

export function buildSarifLog(report: Report, options: SarifRenderOptions = {}): Sarif.Log {
  const known = new Map(RULES.map((r) => [r.id, r]));
  // A rule id this table does not know yet still needs a descriptor: take it from the finding.
  for (const f of report.findings) {
    if (!known.has(f.rule)) {
      known.set(f.rule, { id: f.rule, class: f.class, summary: f.title, description: f.title });
    }
  }
  const rules = [...known.values()];
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));

  const driver: Sarif.ToolComponent = {
    name: report.tool.name,
    version: report.tool.version,
    semanticVersion: /^\d+\.\d+\.\d+/.test(report.tool.version) ? report.tool.version : undefined,
    informationUri: options.informationUri,
    rules: rules.map((r): Sarif.ReportingDescriptor => ({
      id: r.id,
      name: toPascalCase(r.id),
      shortDescription: { text: r.summary },
      fullDescription: { text: r.description },
      helpUri: `${options.ruleDocsUrl ?? PROJECT_RULE_DOCS_URL}#${encodeURIComponent(r.id)}`,
      help: { text: `${r.description} See docs/rules.md#${r.id}.` },
      defaultConfiguration: { level: r.review ? 'warning' : levelOfClass(r.class, report.failOn) },
      properties: { class: r.class, tags: ['cpu-model', r.class] },
    })),
  };

  const results = report.findings.map((f): Sarif.Result => {
    const result: Sarif.Result = {
      ruleId: f.rule,
      ruleIndex: ruleIndex.get(f.rule),
      level: levelOfFinding(f, report.failOn),
      message: { text: resultMessage(f) },
      ...resultLocations(f),
      partialFingerprints: { [SARIF_FINGERPRINT_KEY]: f.fingerprint },
      properties: {
        class: f.class,
        verdict: f.verdict,
        models: f.models,
        machineTypes: f.machineTypes,
        ...(f.property !== undefined ? { property: f.property } : {}),
        ...(f.properties ? { properties: f.properties } : {}),
        // Typed as in the JSON report: a feature's on/off stays a boolean.
        ...(f.before !== undefined ? { before: f.before } : {}),
        ...(f.after !== undefined ? { after: f.after } : {}),
        ...(f.hostRequirement ? { hostRequirement: f.hostRequirement } : {}),
        ...(f.location.side === 'LEFT' ? { side: 'LEFT' } : {}),
        ...(f.commit ? { commit: f.commit } : {}),
      },
    };
    const fixes = fixesOf(f);
    if (fixes.length) result.fixes = fixes;
    if (f.waiver) {
      result.suppressions = [
        { kind: 'external', status: 'accepted', justification: describeWaiver(f.waiver) },
      ];
    }
    return result;
  });

  const notifications: Sarif.Notification[] = [
    ...report.notes.map((n): Sarif.Notification => ({
      level: n.kind === 'warning' ? 'warning' : 'note',
      message: { text: n.message },
    })),
    ...report.unusedWaivers.map((w): Sarif.Notification => ({
      level: 'warning',
      message: { text: `Unused or expired waiver: ${describeWaiver(w)}` },
    })),
  ];

  const run: Sarif.Run = {
    tool: { driver },
    invocations: [
      {
        executionSuccessful: true,
        ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
      },
    ],
    results,
    ...(report.findings.some((f) => f.location.side === 'LEFT')
      ? {
          originalUriBaseIds: {
            [SARIF_BASE_URI_ID]: {
              description: {
                text: `The base revision${report.base ? `: ${report.base.ref}${report.base.commit ? ` at ${report.base.commit}` : ''}` : ''}.`,
              },
            },
          },
        }
      : {}),
    properties: {
      mode: report.mode,
      catalog: report.catalog,
      ...(report.base ? { base: report.base } : {}),
      head: report.head,
      release: report.release,
      failOn: report.failOn,
      result: report.result,
      counts: report.counts,
    },
  };
  // Code scanning keeps one set of alerts per category: one per catalog, so that a repository
  // guarding two catalogs does not close the alerts of one when it uploads the other.
  run.automationDetails = { id: `${report.tool.name}/${report.catalog.format}/${report.catalog.path}/` };

  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

export function renderSarif(report: Report, options: SarifRenderOptions = {}): string {
  // JSON.stringify drops the undefined optional fields, so the log holds only what is known.
  return JSON.stringify(buildSarifLog(report, options), null, 2) + '\n';
}
