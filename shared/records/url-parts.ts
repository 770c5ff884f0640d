/**
 * Where the parts of a URL lie, as ELB logs write URLs: the request line's
 * URL, `redirect_url`, `transformed_uri`. Split by hand (not `new URL`):
 * logged URLs may be relative, malformed or hold spaces, and the split must
 * be the same byte for byte as the byte-level encoder's.
 *
 * @see https://www.rfc-editor.org/rfc/rfc3986#section-3
 */

const SLASH = 0x2f;
const QUESTION = 0x3f;
const AT = 0x40;

/** Where the parts of a URL lie, split as request lines and URL fields are. */
export interface UrlParts {
  /** Index of the `://` after a valid scheme, or -1 when the URL is not absolute. */
  schemeEnd: number;
  /** The authority is `[authorityStart, authorityEnd)`; both 0 when the URL is not absolute. */
  authorityStart: number;
  authorityEnd: number;
  /** Index of the last `@` of the authority (credentials come before it), or -1. */
  credentialsEnd: number;
  /** Index of the `?` that starts the query, or -1. */
  queryStart: number;
}

/**
 * Splits a URL: absolute when it starts with a scheme (`[A-Za-z][A-Za-z0-9+.-]*`)
 * and `://`; the authority runs to the first `/` or `?`; the query starts at
 * the first `?` after it. A relative URL (`/a?b=http://c`) has no authority.
 */
export function splitUrl(url: string): UrlParts {
  const schemeEnd = schemeLength(url);
  let authorityStart = 0;
  let authorityEnd = 0;
  let credentialsEnd = -1;
  if (schemeEnd > 0) {
    authorityStart = schemeEnd + 3;
    authorityEnd = authorityStart;
    while (authorityEnd < url.length) {
      const c = url.charCodeAt(authorityEnd);
      if (c === SLASH || c === QUESTION) break;
      if (c === AT) credentialsEnd = authorityEnd;
      authorityEnd++;
    }
  }
  const queryStart = url.indexOf('?', authorityEnd);
  return { schemeEnd, authorityStart, authorityEnd, credentialsEnd, queryStart };
}

/** The length of a valid scheme followed by `://` at the start of `url`, or -1. */
export function schemeLength(url: string): number {
  const end = url.indexOf('://');
  if (end <= 0) return -1;
  for (let i = 0; i < end; i++) if (!isSchemeCharacter(url.charCodeAt(i), i === 0)) return -1;
  return end;
}

/** RFC 3986 `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`. */
export function isSchemeCharacter(c: number, first: boolean): boolean {
  const letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
  if (first) return letter;
  return letter || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
}
