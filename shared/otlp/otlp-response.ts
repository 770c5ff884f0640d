/**
 * Reading what an OTLP/HTTP receiver answers: the partial-success part of a
 * 200 (`ExportLogsServiceResponse`) and the message of an error
 * (`google.rpc.Status`, or the plain text some proxies and the Collector's
 * memory limiter send), in protobuf or JSON.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#partial-success-1
 */

/** What a 200 said about records it did not keep. */
export interface PartialSuccess {
  rejected: number;
  message?: string;
}

// ExportLogsServiceResponse.partial_success
const RESPONSE_PARTIAL_SUCCESS = 1;
// ExportLogsPartialSuccess
const PARTIAL_REJECTED = 1;
const PARTIAL_MESSAGE = 2;
// google.rpc.Status
const STATUS_MESSAGE = 2;

/** Longest error text kept from a response body. */
const MAX_MESSAGE_CHARS = 300;

/**
 * The partial success in a 200's body; `undefined` when the body says
 * nothing (empty, or an empty message) or cannot be read.
 */
export function readPartialSuccess(
  body: Uint8Array,
  contentType: string,
): PartialSuccess | undefined {
  if (body.length === 0) return undefined;
  try {
    return isJson(contentType) ? jsonPartialSuccess(body) : protobufPartialSuccess(body);
  } catch {
    // A 200 whose body cannot be read still delivered the records.
    return undefined;
  }
}

/** A short, printable description of an error response's body. */
export function readErrorMessage(body: Uint8Array, contentType: string): string | undefined {
  if (body.length === 0) return undefined;
  let text: string | undefined;
  try {
    if (isJson(contentType)) {
      const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { message?: unknown };
      text = typeof parsed.message === 'string' ? parsed.message : undefined;
    } else if (contentType.includes('protobuf')) {
      text = firstString(body, STATUS_MESSAGE);
    } else {
      text = Buffer.from(body).toString('utf8');
    }
  } catch {
    text = Buffer.from(body).toString('utf8');
  }
  if (text === undefined) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (clean === '') return undefined;
  return clean.length > MAX_MESSAGE_CHARS ? `${clean.slice(0, MAX_MESSAGE_CHARS)}…` : clean;
}

function isJson(contentType: string): boolean {
  return contentType.toLowerCase().includes('json');
}

function jsonPartialSuccess(body: Uint8Array): PartialSuccess | undefined {
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as {
    partialSuccess?: {
      rejectedLogRecords?: unknown;
      rejectedDataPoints?: unknown;
      errorMessage?: unknown;
    };
  };
  const partial = parsed.partialSuccess;
  if (partial === undefined || partial === null) return undefined;
  // A logs response counts records; a metrics response counts data points.
  const rejected = Number(partial.rejectedLogRecords ?? partial.rejectedDataPoints ?? 0);
  const message = typeof partial.errorMessage === 'string' ? partial.errorMessage : undefined;
  return summarise(Number.isFinite(rejected) ? rejected : 0, message);
}

function protobufPartialSuccess(body: Uint8Array): PartialSuccess | undefined {
  const partial = firstBytes(body, RESPONSE_PARTIAL_SUCCESS);
  if (partial === undefined) return undefined;
  let rejected = 0;
  let message: string | undefined;
  for (const field of fields(partial)) {
    if (field.number === PARTIAL_REJECTED && field.varint !== undefined) rejected = field.varint;
    if (field.number === PARTIAL_MESSAGE && field.bytes !== undefined) {
      message = Buffer.from(field.bytes).toString('utf8');
    }
  }
  return summarise(rejected, message);
}

function summarise(rejected: number, message: string | undefined): PartialSuccess | undefined {
  if (rejected <= 0 && !message) return undefined;
  return message ? { rejected: Math.max(0, rejected), message } : { rejected };
}

interface Field {
  number: number;
  varint?: number;
  bytes?: Uint8Array;
}

/** Walks the top-level fields of a protobuf message, skipping what it does not need. */
function* fields(bytes: Uint8Array): Generator<Field> {
  let position = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (position >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[position++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  while (position < bytes.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        yield { number, varint: varint() };
        break;
      case 1:
        position += 8;
        break;
      case 2: {
        const length = varint();
        if (position + length > bytes.length) throw new Error('truncated field');
        yield { number, bytes: bytes.subarray(position, position + length) };
        position += length;
        break;
      }
      case 5:
        position += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
}

function firstBytes(body: Uint8Array, number: number): Uint8Array | undefined {
  for (const field of fields(body)) {
    if (field.number === number && field.bytes !== undefined) return field.bytes;
  }
  return undefined;
}

function firstString(body: Uint8Array, number: number): string | undefined {
  const bytes = firstBytes(body, number);
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
}
