/**
 * An endpoint URL as it may be printed: in a summary, an error message or a
 * log line. Collectors that take an API key in the query string
 * (`…/v1/logs?api_key=…`) are common, and a URL can hold `user:password@`
 * too; neither may reach a terminal or a log. Every query value becomes
 * `REDACTED` (the names stay, so a reader sees what was sent), userinfo
 * becomes `REDACTED@` (`REDACTED:REDACTED@` with a password), and the
 * fragment, never sent, is dropped.
 */

import { REDACTED } from '../records/redaction.ts';

/**
 * Query values shorter than this are not searched for in a receiver's text
 * ({@link urlSecretScrubber}): `v=1` is no secret, and replacing every `1`
 * would garble the message.
 */
const MIN_SCRUBBED_CHARS = 4;

/**
 * `url` without its query values, credentials or fragment. Text that is not
 * a URL at all is cut the same way, by its `?`, `#` and `@`.
 *
 * @example
 * printableUrl('https://collector.example.com/v1/logs?api_key=s3cret&tenant=a');
 * // 'https://collector.example.com/v1/logs?api_key=REDACTED&tenant=REDACTED'
 */
export function printableUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return printableText(String(url));
  }
  const copy = new URL(parsed.href);
  if (copy.password !== '') copy.password = REDACTED;
  if (copy.username !== '' || copy.password !== '') copy.username = REDACTED;
  copy.search = parsed.search.length > 1 ? `?${redactedQuery(parsed.search.slice(1))}` : '';
  copy.hash = '';
  return copy.href;
}

/**
 * A function that replaces, in any text, the secrets `url` may hold (its
 * query values and userinfo, as written and percent-decoded): for what a
 * receiver or a network error says, which may echo the request's URL.
 */
export function urlSecretScrubber(url: string): (text: string) => string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return (text) => text;
  }
  const raw = [parsed.username, parsed.password];
  for (const part of parsed.search.slice(1).split('&')) {
    const eq = part.indexOf('=');
    raw.push(eq === -1 ? part : part.slice(eq + 1));
  }
  return secretScrubber(raw.flatMap((value) => [value, decoded(value)]));
}

/**
 * A function that replaces each of `secrets` (header values, say) in any
 * text with `REDACTED`: for what a receiver answers, which may echo the key
 * it refused.
 */
export function secretScrubber(secrets: readonly string[]): (text: string) => string {
  const kept = [...new Set(secrets)]
    .filter((value) => value.length >= MIN_SCRUBBED_CHARS)
    // Longest first, so no secret is left half replaced by a shorter one inside it.
    .sort((a, b) => b.length - a.length);
  if (kept.length === 0) return (text) => text;
  return (text) => kept.reduce((out, secret) => out.replaceAll(secret, REDACTED), text);
}

/** `a=1&b&c=3` → `a=REDACTED&REDACTED&c=REDACTED`: a bare word may be a token itself. */
function redactedQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      if (part === '') return part;
      const eq = part.indexOf('=');
      return eq === -1 ? REDACTED : `${part.slice(0, eq)}=${REDACTED}`;
    })
    .join('&');
}

/** Text `new URL` refused, cut by hand: no fragment, no query values, no userinfo. */
function printableText(text: string): string {
  const hash = text.indexOf('#');
  const withoutHash = hash === -1 ? text : text.slice(0, hash);
  const question = withoutHash.indexOf('?');
  const head = question === -1 ? withoutHash : withoutHash.slice(0, question);
  const query = question === -1 ? '' : `?${redactedQuery(withoutHash.slice(question + 1))}`;
  return `${head.replace(/^([^/@]*\/\/)?[^/]*@/, `$1${REDACTED}@`)}${query}`;
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
