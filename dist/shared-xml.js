import { X as XMLValidator, a as XMLParser } from './shared-fast-xml-parser.js';
import { C as CatalogError } from './shared-errors.js';

/**
 * XML for catalog files, read safely and with a line for every element. fast-xml-parser does
 * the parsing, with entity processing off; a scan of our own finds where each start tag
 * begins, and the two are zipped in document order (both see elements in the same order,
 * which the zip checks, so a disagreement is a loud error instead of a wrong line).
 */
/** libvirt's largest cpu_map file is about 50 KB; anything near this limit is not a cpu_map. */
const MAX_XML_BYTES = 2 * 1024 * 1024;
/** cpu_map files nest four levels; the parser underneath gives up at 10,000 with a plain Error. */
const MAX_XML_DEPTH = 100;
/** Characters XML 1.0 does not allow anywhere, not even escaped: C0 controls but tab and line ends. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
/**
 * Finds every start tag and its line. Comments, CDATA and processing instructions are
 * skipped; a DOCTYPE is refused, since a DTD is how entity bombs and external entities get in.
 */
function scanTags(text, path) {
    const starts = [];
    const endLines = [];
    const open = [];
    // Quoted attribute values may hold '>' (it need not be escaped there), so skip them whole.
    const tagPattern = /<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:'[^']*'|"[^"]*"))*\s*\/?>/y;
    let line = 1;
    let pos = 0;
    const advanceTo = (to) => {
        for (let i = pos; i < to; i++)
            if (text.charCodeAt(i) === 10)
                line++;
        pos = to;
    };
    const skipPast = (terminator, what) => {
        const end = text.indexOf(terminator, pos);
        if (end < 0)
            throw new CatalogError(`unterminated ${what}`, { path, line }, 'fix the XML syntax');
        const skipped = text.slice(pos, end);
        advanceTo(end + terminator.length);
        return skipped;
    };
    for (;;) {
        const lt = text.indexOf('<', pos);
        if (lt < 0)
            break;
        advanceTo(lt);
        if (open.length > MAX_XML_DEPTH) {
            throw new CatalogError(`elements nested more than ${MAX_XML_DEPTH} deep`, { path, line }, 'cpu_map files nest a few levels; this is not a cpu_map file, or it has been damaged');
        }
        if (text.startsWith('<!--', pos)) {
            const startLine = line;
            if (skipPast('-->', 'comment').slice(4).includes('--'))
                throw new CatalogError(`'--' inside a comment`, { path, line: startLine }, 'XML comments may not hold --');
        }
        else if (text.startsWith('<![CDATA[', pos))
            skipPast(']]>', 'CDATA section');
        else if (text.startsWith('<!', pos)) {
            throw new CatalogError('XML with a DOCTYPE or other declaration is not accepted', { path, line }, 'cpu_map files have no DTD; remove the declaration (DTDs can pull in external entities or expand without bound)');
        }
        else if (text.startsWith('<?', pos))
            skipPast('?>', 'processing instruction');
        else if (text.startsWith('</', pos)) {
            const startLine = line;
            skipPast('>', 'end tag');
            const idx = open.pop();
            if (idx !== undefined)
                endLines[idx] = startLine;
        }
        else {
            const m = /^<([A-Za-z_][\w.:-]*)/.exec(text.slice(pos, pos + 256));
            if (!m)
                throw new CatalogError(`unexpected '<'`, { path, line }, 'fix the XML syntax');
            const startLine = line;
            tagPattern.lastIndex = pos;
            const tagEnd = tagPattern.exec(text);
            if (!tagEnd)
                throw new CatalogError(`unterminated start tag <${m[1]}`, { path, line }, 'fix the XML syntax');
            const selfClosing = tagEnd[0].endsWith('/>');
            advanceTo(pos + tagEnd[0].length);
            starts.push({ name: m[1], line: startLine, selfClosing });
            if (selfClosing)
                endLines[starts.length - 1] = line;
            else
                open.push(starts.length - 1);
        }
    }
    return { starts, endLines };
}
const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    allowBooleanAttributes: false,
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    trimValues: true,
});
/** Parses an XML file into elements with lines. Every failure is a `CatalogError` at a line. */
function parseXml(text, path) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_XML_BYTES) {
        throw new CatalogError(`${path} is ${bytes} bytes, more than the limit of ${MAX_XML_BYTES} for one XML file`, { path }, 'this is not a cpu_map file, or it has been damaged');
    }
    const bad = NOT_XML_CHAR.exec(text);
    if (bad) {
        throw new CatalogError(`U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} is not a character XML allows`, { path, line: text.slice(0, bad.index).split('\n').length }, 'remove the control character');
    }
    const scan = scanTags(text, path);
    // References must be XML's own: with no DTD, any other entity is undeclared.
    const outside = text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g, (m) => m.replace(/[^\n]/g, ' '));
    const reference = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)[^\s'"<;]{0,20};?/.exec(outside);
    if (reference) {
        throw new CatalogError(`'${reference[0]}' is not one of XML's predefined entities or a character reference`, { path, line: outside.slice(0, reference.index).split('\n').length }, "cpu_map files declare no entities; write a literal '&' as &amp;");
    }
    const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
    if (valid !== true) {
        throw new CatalogError(`${path} is not well-formed XML: ${valid.err.msg}`, { path, line: valid.err.line, column: valid.err.col }, 'fix the XML syntax');
    }
    const ordered = parser.parse(text);
    let next = 0;
    const convert = (node) => {
        const name = Object.keys(node).find((k) => k !== ':@');
        if (name === undefined || name === '#text' || name === '#comment')
            return undefined;
        const tag = scan.starts[next];
        if (!tag || tag.name !== name) {
            throw new CatalogError(`${path}: element <${name}> could not be located (found <${tag?.name ?? 'end of file'}>)`, { path, line: tag?.line }, 'the file uses XML this reader does not support; please report it');
        }
        const index = next++;
        const childNodes = node[name] ?? [];
        const children = [];
        for (const c of childNodes) {
            const el = convert(c);
            if (el)
                children.push(el);
        }
        const attributes = {};
        for (const [k, v] of Object.entries(node[':@'] ?? {}))
            attributes[k] = String(v);
        return { name, attributes, children, line: tag.line, endLine: scan.endLines[index] ?? tag.line };
    };
    const roots = ordered.map(convert).filter((e) => e !== undefined);
    if (roots.length !== 1) {
        throw new CatalogError(`${path} must have exactly one root element, found ${roots.length}`, { path }, 'fix the XML structure');
    }
    if (next !== scan.starts.length) {
        throw new CatalogError(`${path}: ${scan.starts.length - next} element(s) could not be matched to lines`, { path }, 'please report this file');
    }
    return roots[0];
}

export { MAX_XML_BYTES, parseXml };
