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
 * once, and a machine type is the bytes of its parts; the parts that name a model are encoded
 * once per name too.
 */
export function* renderExpansionJson(
  expansions: Iterable<[string, Record<string, EffectiveModel>]>,
  options: ExpansionJsonOptions = {},
): Generator<string | Uint8Array[]> {
  const { indent } = options;
  const serialized = new Map<object, Uint8Array>();
  const json = (value: object): Uint8Array => {
    let bytes = serialized.get(value);
    if (bytes === undefined) {
      const stringified = JSON.stringify(value, null, indent);
      // A buffer of its own for each: Buffer.from encodes a whole string many times faster
      // than writing it into a larger buffer at an offset.
      bytes = Buffer.from(indent ? stringified.replace(/\n/g, '\n    ') : stringified);
      serialized.set(value, bytes);
    }
    return bytes;
  };
  // `"name":` after the opening brace of a machine type, and `,"name":` after another model.
  const firstName = new Map<string, Uint8Array>();
  const nextName = new Map<string, Uint8Array>();
  const namePart = (name: string, first: boolean): Uint8Array => {
    const parts = first ? firstName : nextName;
    let bytes = parts.get(name);
    if (bytes === undefined) {
      const text = `${first ? '' : ','}${indent ? '\n    ' : ''}${JSON.stringify(name)}:${indent ? ' ' : ''}`;
      parts.set(name, (bytes = Buffer.from(text)));
    }
    return bytes;
  };
  const close = Buffer.from(`${indent ? '\n  ' : ''}}`);
  let first = true;
  yield '{';
  for (const [machineType, models] of expansions) {
    const parts: Uint8Array[] = [
      Buffer.from(
        `${first ? '' : ','}${indent ? '\n  ' : ''}${JSON.stringify(machineType)}:${indent ? ' ' : ''}{`,
      ),
    ];
    let firstModel = true;
    for (const name of Object.keys(models)) {
      parts.push(namePart(name, firstModel), json(models[name]!));
      firstModel = false;
    }
    parts.push(close);
    yield parts;
    first = false;
  }
  yield `${indent ? '\n' : ''}}\n`;
}
