/**
 * The libvirt stages as the engine runs them, without a source: the catalog models of two
 * cpu_maps, their diff, the rule's findings, and those findings worded, with verdicts.
 */
import { catalogLine, libvirtCatalog } from '../../src/catalog/libvirt.js';
import { classifyLibvirt } from '../../src/classify/libvirt.js';
import { findingVerdict } from '../../src/classify/verdict.js';
import { diffLibvirtCatalogs } from '../../src/diff/libvirt.js';
import type { LibvirtCpuMap } from '../../src/parse/libvirt/cpu-map.js';
import type { FailOn, Finding } from '../../src/report/finding.js';
import { worded } from '../../src/report/words/index.js';

export function libvirtFindings(
  base: LibvirtCpuMap,
  head: LibvirtCpuMap,
  failOn: FailOn,
  released?: ReadonlySet<string>,
): Finding[] {
  const headCatalog = libvirtCatalog(head);
  const diff = diffLibvirtCatalogs(libvirtCatalog(base), headCatalog);
  return classifyLibvirt({ diff, ...(released ? { released } : {}), headLine: catalogLine(headCatalog) }).map(
    (draft) => {
      const f = worded(draft);
      if (f.fingerprint === undefined) throw new Error(`${f.rule} finding without a fingerprint`);
      return { ...f, fingerprint: f.fingerprint, verdict: findingVerdict(f, failOn) };
    },
  );
}
