// The one path a kubelet request is authorized and served on. Authorization and routing must
// read the same path: a parser that collapses `..` (WHATWG URL, which also takes `%2e%2e` as
// `..` and `\` as `/`) behind an authorizer that reads the raw text lets
// `/stats/../exec/...` be authorized as stats and served as exec. So, as Go's ServeMux does
// in front of the kubelet, a path with dot-segments or empty segments is redirected to its
// clean form before anything reads it, and one that is ambiguous (an encoded `/` or `\`, a raw
// `\`, a NUL, bad percent-encoding) is refused. Everything after this sees only the canonical
// spelling: every segment decoded and re-encoded the one way.

export type RequestPathVerdict =
  | { kind: 'canonical'; url: string; segments: string[] }
  | { kind: 'redirect'; location: string }
  | { kind: 'refused'; message: string };

const MAX_URL_LENGTH = 16 * 1024;

function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** How a decoded segment is spelled in the canonical URL (what find-my-way and URL decode back). */
function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%3A/g, ':').replace(/%40/g, '@');
}

export function canonicalRequestPath(rawUrl: string): RequestPathVerdict {
  if (rawUrl.length > MAX_URL_LENGTH) return { kind: 'refused', message: `request URL longer than ${MAX_URL_LENGTH} bytes` };
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = q === -1 ? '' : rawUrl.slice(q);
  if (!rawPath.startsWith('/')) return { kind: 'refused', message: 'request path must be absolute' };
  if (rawPath.includes('\\')) return { kind: 'refused', message: 'request path must not contain a backslash' };

  const raw = rawPath.slice(1).split('/');
  const cleaned: string[] = [];
  let clean = true;
  for (const [i, part] of raw.entries()) {
    const segment = decodeSegment(part);
    if (segment === undefined) return { kind: 'refused', message: 'request path has invalid percent-encoding' };
    if (/[/\\\0]/.test(segment)) return { kind: 'refused', message: 'request path must not encode "/", "\\" or NUL in a segment' };
    const last = i === raw.length - 1;
    if (segment === '.' || segment === '..') {
      clean = false;
      if (segment === '..') cleaned.pop();
      continue;
    }
    if (segment === '' && !last) {
      clean = false;
      continue;
    }
    if (segment === '' && last && cleaned.length === 0) continue; // "/" itself
    if (encodeSegment(segment) !== part) clean = false; // another spelling of the same segment
    cleaned.push(segment);
  }
  const path = '/' + cleaned.map(encodeSegment).join('/');
  if (!clean) return { kind: 'redirect', location: path + query };
  return { kind: 'canonical', url: path + query, segments: cleaned.filter((s) => s !== '') };
}
