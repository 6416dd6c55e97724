// The cluster DNS answer function, pure: a query and a snapshot in, a response out, with
// the answers CoreDNS's kubernetes plugin gives for the cluster domain and for reverse
// (in-addr.arpa) lookups of Service and endpoint IPs. Nothing outside is forwarded (there
// is no upstream here): such queries are REFUSED.
import { isIPv4, isIPv6 } from 'node:net';
import type { DnsSnapshot, EndpointRecord, PortRecord, ServiceRecord } from './snapshot.ts';
import { serviceKey } from './snapshot.ts';
import { CLASS_IN, RCODE, TYPE, type Message, type Question, type ResourceRecord } from './wire.ts';

export const ANSWER_TTL = 30;
export const NEGATIVE_TTL = 5;
/** The payload size this server advertises in its OPT record. */
export const EDNS_PAYLOAD = 1232;

/** What a name resolves to inside the zone: records per type, or that it does not exist. */
interface Lookup {
  exists: boolean;
  addresses: string[];
  cname?: string;
  srv: Array<{ port: number; target: string; address: string }>;
}

const MISSING: Lookup = { exists: false, addresses: [], srv: [] };
const EMPTY: Lookup = { exists: true, addresses: [], srv: [] };

function portMatches(p: PortRecord, portLabel: string | undefined, protoLabel: string | undefined): boolean {
  if (portLabel === undefined) return true;
  return p.name.toLowerCase() === portLabel && p.protocol.toLowerCase() === protoLabel;
}

/** `<svc>.<ns>.svc`, `_<port>._<proto>.<svc>.<ns>.svc` and `<endpoint>.<svc>.<ns>.svc`. */
function lookupService(svc: ServiceRecord, domain: string, port?: string, proto?: string, endpoint?: string): Lookup {
  const svcName = `${svc.name}.${svc.namespace}.svc.${domain}.`;
  if (svc.externalName !== undefined) return endpoint || port ? MISSING : { exists: true, addresses: [], srv: [], cname: `${svc.externalName.replace(/\.$/, '')}.` };
  if (svc.headless || endpoint !== undefined) {
    const endpoints = svc.endpoints.filter((e: EndpointRecord) => endpoint === undefined || e.hostname.toLowerCase() === endpoint);
    const matched = endpoints.filter((e) => port === undefined || e.ports.some((p) => portMatches(p, port, proto)));
    if (matched.length === 0) return MISSING;
    return {
      exists: true,
      addresses: [...new Set(matched.map((e) => e.ip))],
      srv: matched.flatMap((e) =>
        e.ports.filter((p) => portMatches(p, port, proto)).map((p) => ({ port: p.port, target: `${e.hostname}.${svcName}`, address: e.ip })),
      ),
    };
  }
  const ports = svc.ports.filter((p) => portMatches(p, port, proto));
  if (ports.length === 0) return MISSING;
  return {
    exists: true,
    addresses: svc.clusterIPs,
    srv: ports.flatMap((p) => svc.clusterIPs.map((ip) => ({ port: p.port, target: svcName, address: ip }))),
  };
}

/** `<a-b-c-d>.<ns>.pod`: the address spelled in the name ("pods insecure"). */
function lookupPod(label: string): Lookup {
  const v4 = label.replaceAll('-', '.');
  if (isIPv4(v4)) return { exists: true, addresses: [v4], srv: [] };
  const v6 = label.replaceAll('-', ':');
  return isIPv6(v6) ? { exists: true, addresses: [v6], srv: [] } : MISSING;
}

/** Resolves a name relative to the zone, given as labels from the right: ["svc", ns, svc, ...]. */
function lookup(snapshot: DnsSnapshot, rel: string[]): Lookup {
  const [kind, ns, ...rest] = rel;
  if (kind === undefined) return EMPTY;
  if (kind === 'pod') {
    if (ns === undefined) return EMPTY;
    return rest.length === 0 ? EMPTY : rest.length === 1 ? lookupPod(rest[0]!) : MISSING;
  }
  if (kind !== 'svc') return MISSING;
  if (ns === undefined) return EMPTY;
  if (rest.length === 0) return snapshot.namespaces.has(ns) ? EMPTY : MISSING;
  const svc = snapshot.services.get(serviceKey(ns, rest[0]!));
  if (!svc) return MISSING;
  const more = rest.slice(1);
  if (more.length === 0) return lookupService(svc, snapshot.domain);
  if (more.length === 1) return more[0]!.startsWith('_') ? MISSING : lookupService(svc, snapshot.domain, undefined, undefined, more[0]);
  if (more.length === 2 && more[0]!.startsWith('_') && more[1]!.startsWith('_')) {
    return lookupService(svc, snapshot.domain, more[1]!.slice(1), more[0]!.slice(1));
  }
  return MISSING;
}

const REVERSE_ZONE = 'in-addr.arpa';

function soa(snapshot: DnsSnapshot, zone = snapshot.domain): ResourceRecord {
  const d = snapshot.domain;
  return {
    name: `${zone}.`,
    type: TYPE.SOA,
    class: CLASS_IN,
    ttl: NEGATIVE_TTL,
    data: { kind: 'SOA', mname: `ns.dns.${d}.`, rname: `hostmaster.${d}.`, serial: snapshot.serial >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: NEGATIVE_TTL },
  };
}

function address(name: string, ip: string): ResourceRecord {
  return isIPv4(ip)
    ? { name, type: TYPE.A, class: CLASS_IN, ttl: ANSWER_TTL, data: { kind: 'A', address: ip } }
    : { name, type: TYPE.AAAA, class: CLASS_IN, ttl: ANSWER_TTL, data: { kind: 'AAAA', address: ip } };
}

function records(q: Question, found: Lookup, snapshot: DnsSnapshot, relLength: number): { answers: ResourceRecord[]; additionals: ResourceRecord[] } {
  const rr = (type: number, data: ResourceRecord['data']): ResourceRecord => ({ name: q.name, type, class: CLASS_IN, ttl: ANSWER_TTL, data });
  if (found.cname !== undefined) return { answers: [rr(TYPE.CNAME, { kind: 'CNAME', target: found.cname })], additionals: [] };
  if (relLength === 0 && q.type === TYPE.SOA) return { answers: [{ ...soa(snapshot), name: q.name, ttl: ANSWER_TTL }], additionals: [] };
  if (relLength === 0 && q.type === TYPE.NS) return { answers: [rr(TYPE.NS, { kind: 'NS', target: `ns.dns.${snapshot.domain}.` })], additionals: [] };
  const answers: ResourceRecord[] = [];
  if (q.type === TYPE.A || q.type === TYPE.ANY) answers.push(...found.addresses.filter((ip) => isIPv4(ip)).map((ip) => address(q.name, ip)));
  if (q.type === TYPE.AAAA || q.type === TYPE.ANY) answers.push(...found.addresses.filter((ip) => isIPv6(ip)).map((ip) => address(q.name, ip)));
  const additionals: ResourceRecord[] = [];
  if (q.type === TYPE.SRV || q.type === TYPE.ANY) {
    // CoreDNS spreads weight evenly: each of n records of one priority gets floor(100 / n).
    const weight = Math.floor(100 / Math.max(1, found.srv.length));
    const targets = new Set<string>();
    for (const s of found.srv) {
      answers.push(rr(TYPE.SRV, { kind: 'SRV', priority: 0, weight, port: s.port, target: s.target }));
      const key = `${s.target}|${s.address}`;
      if (!targets.has(key)) additionals.push(address(s.target, s.address));
      targets.add(key);
    }
  }
  return { answers, additionals };
}

function response(query: Message, rcode: number, parts: Partial<Pick<Message, 'answers' | 'authorities' | 'additionals'>> = {}, authoritative = true): Message {
  const opt = query.additionals.some((rr) => rr.type === TYPE.OPT)
    ? [{ name: '.', type: TYPE.OPT, class: EDNS_PAYLOAD, ttl: 0, data: { kind: 'raw' as const, bytes: new Uint8Array() } }]
    : [];
  return {
    header: { id: query.header.id, qr: true, opcode: query.header.opcode, aa: authoritative, tc: false, rd: query.header.rd, ra: true, rcode },
    questions: query.questions,
    answers: parts.answers ?? [],
    authorities: parts.authorities ?? [],
    additionals: [...(parts.additionals ?? []), ...opt],
  };
}

/** PTR for `d.c.b.a.in-addr.arpa`: the Service or endpoint names of that IPv4 address. */
function answerReverse(query: Message, q: Question, name: string, snapshot: DnsSnapshot): Message {
  const labels = name.slice(0, -(REVERSE_ZONE.length + 1)).split('.');
  const ip = labels.length === 4 ? labels.reverse().join('.') : '';
  const targets = isIPv4(ip) ? snapshot.reverse.get(ip) : undefined;
  if (!targets) return response(query, RCODE.NXDOMAIN, { authorities: [soa(snapshot, REVERSE_ZONE)] });
  if (q.type !== TYPE.PTR && q.type !== TYPE.ANY) return response(query, RCODE.NOERROR, { authorities: [soa(snapshot, REVERSE_ZONE)] });
  return response(query, RCODE.NOERROR, {
    answers: targets.map((target) => ({ name: q.name, type: TYPE.PTR, class: CLASS_IN, ttl: ANSWER_TTL, data: { kind: 'PTR' as const, target } })),
  });
}

export function answer(query: Message, snapshot: DnsSnapshot): Message {
  if (query.header.opcode !== 0) return response(query, RCODE.NOTIMP, {}, false);
  const q = query.questions[0];
  if (query.questions.length !== 1 || !q) return response(query, RCODE.FORMERR, {}, false);
  const name = q.name.toLowerCase().replace(/\.$/, '');
  const zone = snapshot.domain;
  if (q.class !== CLASS_IN) return response(query, RCODE.REFUSED, {}, false);
  if (name.endsWith(`.${REVERSE_ZONE}`)) return answerReverse(query, q, name, snapshot);
  if (name !== zone && !name.endsWith(`.${zone}`)) return response(query, RCODE.REFUSED, {}, false);
  const rel = name === zone ? [] : name.slice(0, -(zone.length + 1)).split('.').reverse();
  const found = lookup(snapshot, rel);
  if (!found.exists) return response(query, RCODE.NXDOMAIN, { authorities: [soa(snapshot)] });
  const { answers, additionals } = records(q, found, snapshot, rel.length);
  if (answers.length === 0) return response(query, RCODE.NOERROR, { authorities: [soa(snapshot)] });
  return response(query, RCODE.NOERROR, { answers, additionals });
}
