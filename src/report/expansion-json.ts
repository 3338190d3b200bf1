/**
 * `expand`'s JSON: machine type → model name → effective model. Everything on every machine type
 * is tens of megabytes, so it is rendered one machine type at a time, for the caller to write as
 * it goes.
 */
import type { EffectiveModel } from '../catalog/model.js';

export interface ExpansionJsonOptions {
  /** Spaces per level, for a person; `undefined`: one line. */
  indent?: number;
}

/**
 * The document's bytes in pieces: the opening brace, then one array of parts per machine type,
 * then the closing brace and a newline. Machine types share effective models (the same object
 * when nothing that reaches the model differs), so each distinct one is serialized and encoded
 * once, and a machine type is the bytes of its parts.
 */
export function* renderExpansionJson(
  expansions: Iterable<[string, Record<string, EffectiveModel>]>,
  options: ExpansionJsonOptions = {},
): Generator<string | Uint8Array[]> {
  const { indent } = options;
  const encoder = new TextEncoder();
  const serialized = new Map<object, Uint8Array>();
  const json = (value: object): Uint8Array => {
    let bytes = serialized.get(value);
    if (bytes === undefined) {
      const text = JSON.stringify(value, null, indent);
      serialized.set(value, (bytes = encoder.encode(indent ? text.replace(/\n/g, '\n    ') : text)));
    }
    return bytes;
  };
  let first = true;
  yield '{';
  for (const [machineType, models] of expansions) {
    const parts: Uint8Array[] = [
      encoder.encode(
        `${first ? '' : ','}${indent ? '\n  ' : ''}${JSON.stringify(machineType)}:${indent ? ' ' : ''}{`,
      ),
    ];
    let separator = '';
    for (const [name, props] of Object.entries(models)) {
      parts.push(
        encoder.encode(`${separator}${indent ? '\n    ' : ''}${JSON.stringify(name)}:${indent ? ' ' : ''}`),
        json(props),
      );
      separator = ',';
    }
    parts.push(encoder.encode(`${indent ? '\n  ' : ''}}`));
    yield parts;
    first = false;
  }
  yield `${indent ? '\n' : ''}}\n`;
}
