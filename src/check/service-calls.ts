// A heuristic, not a proof: does a command call a cluster Service? It reads the command line
// (shell scripts included) for a Service DNS name (web.team.svc, …svc.cluster.local), a
// curl/wget/nc/nslookup/… of a name that can only be a cluster name (one DNS label, or a
// Service of the checked manifests), or a Service-link variable ($WEB_SERVICE_HOST).
// Commands built at run time, or names read from files or the environment, escape it.

export interface CallContext {
  /** Names of the Services in the pod's namespace among the checked manifests. */
  services: ReadonlySet<string>;
  clusterDomain: string;
}

/** Tools whose arguments name a host to reach. URL tools only count URLs and host:port. */
const URL_TOOLS = new Set(['curl', 'wget']);
const HOST_TOOLS = new Set(['nc', 'ncat', 'netcat', 'telnet', 'nslookup', 'dig', 'host', 'ping']);
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A `.svc` label: web.team.svc, web.team.svc.cluster.local, http://web.team.svc/x. */
const SVC = /(^|\.)svc([.:/]|$)/;
const SERVICE_LINK = /\$[({]?[A-Z][A-Z0-9_]*_SERVICE_(HOST|PORT)\b/;

/** Splits shell text into words, dropping quotes; command separators become ";" (good enough for a heuristic). */
function words(text: string): string[] {
  return text
    // A substitution stays inside its word: db.$(cat …/namespace).svc.cluster.local is one name.
    .replace(/\$\([^()]*\)|\$\{[^}]*\}/g, '$…')
    .replace(/[;|&\n]+/g, ' ; ')
    .split(/[\s()<>`"']+/)
    .filter((w) => w !== '');
}

/** Where one command ends and the next begins. */
const SEPARATOR = /^(;|then|do|else)$/;

/** The host a word names: the host of a URL, or the word itself when it is host or host:port. */
function hostOf(word: string, urlsOnly: boolean): string | undefined {
  const url = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/:?#]+)/.exec(word);
  if (url) return url[1];
  const hostPort = /^([a-z0-9.-]+)(?::(\d+))?$/.exec(word);
  if (!hostPort) return undefined;
  if (urlsOnly && hostPort[2] === undefined) return undefined;
  return hostPort[1];
}

function isServiceDNS(host: string, clusterDomain: string): boolean {
  return SVC.test(host) || (clusterDomain !== '' && host.endsWith(`.${clusterDomain}`));
}

/** Whether a host can only be resolved by cluster DNS. */
function isClusterName(host: string, ctx: CallContext): boolean {
  if (ctx.services.has(host) || isServiceDNS(host, ctx.clusterDomain)) return true;
  return LABEL.test(host) && !/^\d+$/.test(host) && host !== 'localhost';
}

/** Evidence that the command calls a Service: the words that give it away (empty: none found). */
export function serviceCalls(command: readonly string[], ctx: CallContext): string[] {
  const found = new Set<string>();
  const text = command.join(' ');
  const link = SERVICE_LINK.exec(text);
  if (link) found.add(link[0]);
  const all = words(text);
  let tool: string | undefined;
  for (const word of all) {
    if (SEPARATOR.test(word)) {
      tool = undefined;
      continue;
    }
    const name = word.slice(word.lastIndexOf('/') + 1);
    if (URL_TOOLS.has(name) || HOST_TOOLS.has(name)) {
      tool = name;
      continue;
    }
    // A Service DNS name anywhere (as in `until nslookup db.$(cat …/namespace).svc.cluster.local`).
    if (SVC.test(word)) {
      found.add(word);
      continue;
    }
    if (tool === undefined || word.startsWith('-')) continue;
    const host = hostOf(word, URL_TOOLS.has(tool) && !ctx.services.has(word));
    if (host !== undefined && isClusterName(host, ctx)) found.add(`${tool} ${word}`);
  }
  return [...found];
}
