// Reads a multipart/form-data body (forms with a file input) with busboy. A file larger than its
// limit is read to the end and discarded, then reported as `tooLarge`, so the form can say so on its
// field; only a body far beyond every limit is refused outright with payload_too_large.
import busboy from 'busboy';
import type { Context } from 'koa';
import { LatchkeyError } from '../../config/errors.ts';

/** One text field's largest value (a textarea of redirect URIs is the longest we take). */
const FIELD_LIMIT = 16 * 1024;
/** All text fields together. */
const FIELDS_TOTAL_LIMIT = 64 * 1024;
/** The most parts one form may have (each checkbox is a part). */
const PARTS_LIMIT = 200;
/** A body beyond the file limits by this much stops being read: drained uploads stay cheap. */
const DRAIN_ALLOWANCE = 8 * 1024 * 1024;

/** Refused without reading the rest; the connection closes rather than drain it. */
const tooLarge = (message?: string) => new LatchkeyError('payload_too_large', message, { headers: { Connection: 'close' } });

export interface UploadedFile {
  readonly filename: string;
  /** The Content-Type the browser sent: a claim, checked against the bytes by the caller. */
  readonly declaredType: string;
  /** Empty when tooLarge. */
  readonly bytes: Buffer;
  readonly tooLarge: boolean;
}

export interface MultipartForm {
  readonly single: Record<string, string>;
  readonly multiple: Record<string, string[]>;
  /** A file input left empty (no file chosen) is absent. */
  readonly files: Record<string, UploadedFile | undefined>;
}

export interface MultipartSpec {
  /** Text fields that may appear once. */
  readonly fields: readonly string[];
  /** Text fields that may repeat (checkboxes). */
  readonly repeated?: readonly string[];
  /** File fields and the largest file each may hold, in bytes. */
  readonly files: Readonly<Record<string, number>>;
}

class FormCollector {
  readonly single: Record<string, string> = {};
  readonly multiple: Record<string, string[]> = {};
  readonly files: Record<string, UploadedFile | undefined> = {};
  #fieldBytes = 0;
  readonly #seen = new Set<string>();
  readonly #spec: MultipartSpec;

  constructor(spec: MultipartSpec) {
    this.#spec = spec;
    for (const field of spec.fields) this.single[field] = '';
    for (const field of spec.repeated ?? []) this.multiple[field] = [];
  }

  field(name: string, value: string, truncated: boolean): void {
    this.#fieldBytes += value.length;
    if (truncated || this.#fieldBytes > FIELDS_TOTAL_LIMIT) throw new LatchkeyError('payload_too_large', 'A field of the form is too long.');
    if (this.#spec.repeated?.includes(name)) this.multiple[name]!.push(value);
    else if (this.#spec.fields.includes(name)) {
      if (this.#seen.has(name)) throw new LatchkeyError('invalid_request', `The field "${name}" appears more than once.`, { field: name });
      this.#seen.add(name);
      this.single[name] = value;
    }
  }
}

function collectFile(stream: NodeJS.ReadableStream & { truncated?: boolean }, filename: string, declaredType: string): Promise<UploadedFile | undefined> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => { if (!stream.truncated) chunks.push(chunk); });
    stream.on('error', reject);
    stream.on('end', () => {
      const bytes = Buffer.concat(chunks);
      // A file input with no file chosen still sends a part: no name, no bytes.
      if (!filename && bytes.length === 0) return resolve(undefined);
      const tooLarge = stream.truncated === true;
      resolve({ filename, declaredType, bytes: tooLarge ? Buffer.alloc(0) : bytes, tooLarge });
    });
  });
}

function parserFor(ctx: Context, spec: MultipartSpec) {
  try {
    return busboy({
      headers: ctx.req.headers,
      limits: { fieldSize: FIELD_LIMIT, parts: PARTS_LIMIT, files: Object.keys(spec.files).length, fileSize: Math.max(0, ...Object.values(spec.files)) },
    });
  } catch {
    throw new LatchkeyError('invalid_request', 'The multipart form has no boundary.');
  }
}

/** The form's fields and files; each single field at most once. Unknown fields are ignored. */
export async function readMultipart(ctx: Context, spec: MultipartSpec): Promise<MultipartForm> {
  if (!ctx.is('multipart/form-data')) {
    throw new LatchkeyError('unsupported_media_type', 'Send the form as multipart/form-data.');
  }
  const bodyLimit = FIELDS_TOTAL_LIMIT + Object.values(spec.files).reduce((a, b) => a + b, 0) + DRAIN_ALLOWANCE;
  const declared = ctx.request.length;
  if (declared !== undefined && declared > bodyLimit) throw tooLarge();
  const form = new FormCollector(spec);
  const parser = parserFor(ctx, spec);
  const pending: Promise<void>[] = [];

  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      ctx.req.unpipe(parser);
      reject(err instanceof LatchkeyError ? err : new LatchkeyError('invalid_request', 'The multipart form is malformed.'));
    };
    let size = 0;
    ctx.req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > bodyLimit) fail(tooLarge());
    });
    ctx.req.on('error', fail);
    parser.on('field', (name, value, info) => {
      try { form.field(name, value, info.valueTruncated); } catch (err) { fail(err); }
    });
    parser.on('file', (name, stream, info) => {
      const limit = spec.files[name];
      if (limit === undefined) { stream.resume(); return; }
      // busboy has one fileSize for every file; a smaller limit of this field is applied here.
      pending.push(collectFile(stream, info.filename ?? '', info.mimeType).then((file) => {
        form.files[name] = file && file.bytes.length > limit ? { ...file, bytes: Buffer.alloc(0), tooLarge: true } : file;
      }));
    });
    parser.on('partsLimit', () => fail(new LatchkeyError('payload_too_large', 'The form has too many fields.')));
    parser.on('error', fail);
    parser.on('close', resolve);
    ctx.req.pipe(parser);
  });
  await Promise.all(pending);
  return { single: form.single, multiple: form.multiple, files: form.files };
}
