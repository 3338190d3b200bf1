import { describe, expect, it } from '@jest/globals';
import { CatalogError } from '../../src/errors.js';
import { MAX_XML_BYTES, parseXml, type XmlElement } from '../../src/parse/libvirt/xml.js';

function flatten(el: XmlElement): [string, string | undefined, number, number][] {
  return [[el.name, el.attributes['name'], el.line, el.endLine], ...el.children.flatMap(flatten)];
}

function catalogError(fn: () => unknown): CatalogError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogError);
    return err as CatalogError;
  }
  throw new Error('expected a CatalogError');
}

describe('XML with element lines', () => {
  it('gives each element its line through comments, CDATA, multi-line tags and quoted >', () => {
    const text = [
      '<?xml version="1.0"?>',
      '<!-- <model name="commented-out"/> -->',
      '<cpus>',
      "  <model name='A'",
      "         note='x > y'>",
      '    <![CDATA[ <feature name="fake"/> ]]>',
      "    <feature name='sse4.2'/><feature name='avx'",
      '    />',
      '    <!--',
      "    <feature name='gone'/>",
      '    -->',
      "    <feature name='avx2' added='yes'></feature>",
      '  </model>',
      '</cpus>',
      '',
    ].join('\n');
    const root = parseXml(text, 'x86_A.xml');
    expect(flatten(root)).toEqual([
      ['cpus', undefined, 3, 14],
      ['model', 'A', 4, 13],
      ['feature', 'sse4.2', 7, 7],
      ['feature', 'avx', 7, 8],
      ['feature', 'avx2', 12, 12],
    ]);
    expect(root.children[0]!.attributes).toEqual({ name: 'A', note: 'x > y' });
    expect(root.children[0]!.children[2]!.attributes).toEqual({ name: 'avx2', added: 'yes' });
  });

  it('leaves entities unexpanded and refuses DTDs', () => {
    const root = parseXml("<cpus><vendor name='A&amp;B' string='x'/></cpus>", 'v.xml');
    expect(root.children[0]!.attributes['name']).toBe('A&amp;B');
    const err = catalogError(() =>
      parseXml('<?xml version="1.0"?>\n<!DOCTYPE cpus SYSTEM "file:///etc/passwd">\n<cpus/>', 'v.xml'),
    );
    expect(err.location).toEqual({ path: 'v.xml', line: 2 });
    expect(err.hint).toMatch(/external entities/);
  });

  it('reports malformed XML and oversized files with a line or a limit', () => {
    const err = catalogError(() =>
      parseXml("<cpus>\n  <model name='A'>\n  </feature>\n</cpus>\n", 'bad.xml'),
    );
    expect(err.message).toMatch(/^bad\.xml is not well-formed XML/);
    expect(err.location?.line).toBe(3);
    expect(catalogError(() => parseXml('<cpus/>' + ' '.repeat(MAX_XML_BYTES), 'big.xml')).message).toMatch(
      /more than the limit/,
    );
    expect(catalogError(() => parseXml('<cpus/><cpus/>', 'two.xml')).message).toMatch(
      /not well-formed|exactly one root/,
    );
  });
});
