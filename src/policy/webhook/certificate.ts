// The webhook's certificate, managed by burstlet itself: a CA and a serving certificate kept in
// one Secret, so that every replica serves the same certificate and the API server trusts it
// through one caBundle. Each replica, at start and then periodically: reads the Secret (creating
// it if absent: the first writer wins, the others read what it wrote), renews the serving
// certificate when a third of its life is left or a name is missing (optimistic concurrency on
// resourceVersion, so two replicas never both win), serves what the Secret holds, and writes the
// CA into every webhook of the MutatingWebhookConfiguration whose caBundle differs.
import { isIP } from 'node:net';
import type { Logger } from '../../log/logger.ts';
import { certFacts, createCa, issueCert, type CertKeyPair } from '../../tls/ca.ts';
import type { KubeClient } from '../../kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.ts';

export interface WebhookIdentity {
  /** The Service in front of the webhook (its DNS names go in the certificate). */
  namespace: string;
  service: string;
  /** Secret holding ca.crt, ca.key, tls.crt, tls.key, in the Service's namespace. */
  secretName: string;
  /** Further DNS names or IPs the certificate must cover (a clientConfig.url host). */
  extraHosts: readonly string[];
  /** The MutatingWebhookConfiguration whose caBundle is kept current. */
  configurationName: string;
}

export interface WebhookCerts {
  ca: CertKeyPair;
  serving: CertKeyPair;
}

interface Secret {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

interface WebhookConfiguration {
  metadata?: { resourceVersion?: string };
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

const SERVING_DAYS = 365;
const CA_DAYS = 3650;

export function requiredNames(id: WebhookIdentity): string[] {
  const s = `${id.service}.${id.namespace}`;
  return [...new Set([id.service, s, `${s}.svc`, `${s}.svc.cluster.local`, ...id.extraHosts])];
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');

function certsOf(secret: Secret): WebhookCerts | undefined {
  const d = secret.data ?? {};
  const certs = { ca: { certPem: unb64(d['ca.crt']), keyPem: unb64(d['ca.key']) }, serving: { certPem: unb64(d['tls.crt']), keyPem: unb64(d['tls.key']) } };
  return certs.ca.certPem && certs.ca.keyPem && certs.serving.certPem && certs.serving.keyPem ? certs : undefined;
}

/** Why the serving certificate must be reissued now, or undefined while it is good. */
export async function renewalReason(certs: WebhookCerts, names: readonly string[], now: number): Promise<string | undefined> {
  const facts = await certFacts(certs.serving.certPem);
  if (!facts) return 'the serving certificate cannot be read';
  if (!(await facts.signedBy(certs.ca.certPem))) return 'the serving certificate is not signed by the CA';
  const missing = names.filter((n) => !facts.names.includes(n));
  if (missing.length > 0) return `the serving certificate does not name ${missing.join(', ')}`;
  const life = facts.notAfter.getTime() - facts.notBefore.getTime();
  if (facts.notAfter.getTime() - now < life / 3) return `the serving certificate expires ${facts.notAfter.toISOString()}`;
  return undefined;
}

async function serving(ca: CertKeyPair, names: readonly string[]): Promise<CertKeyPair> {
  return issueCert(ca, {
    commonName: names[2] ?? names[0]!,
    dnsNames: names.filter((n) => !isIP(n)),
    ipAddresses: names.filter((n) => isIP(n)),
    usage: 'server',
    validDays: SERVING_DAYS,
  });
}

function secretFor(id: WebhookIdentity, certs: WebhookCerts, resourceVersion?: string): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: id.secretName, namespace: id.namespace, labels: { 'app.kubernetes.io/name': 'burstlet' }, ...(resourceVersion ? { resourceVersion } : {}) },
    type: 'kubernetes.io/tls',
    data: { 'ca.crt': b64(certs.ca.certPem), 'ca.key': b64(certs.ca.keyPem), 'tls.crt': b64(certs.serving.certPem), 'tls.key': b64(certs.serving.keyPem) },
  };
}

/** The webhooks of a configuration whose caBundle is not `caPem` (their indexes). */
export function staleCaBundles(config: WebhookConfiguration, caPem: string): number[] {
  const want = b64(caPem);
  return (config.webhooks ?? []).flatMap((w, i) => (w.clientConfig?.caBundle === want ? [] : [i]));
}

export class WebhookCertificate {
  readonly #kube: Pick<KubeClient, 'request'>;
  readonly #id: WebhookIdentity;
  readonly #log: Logger;
  readonly #secretPath: string;
  #missingConfigLogged = false;

  constructor(kube: Pick<KubeClient, 'request'>, id: WebhookIdentity, log: Logger) {
    this.#kube = kube;
    this.#id = id;
    this.#log = log;
    this.#secretPath = `/api/v1/namespaces/${id.namespace}/secrets/${id.secretName}`;
  }

  /** The certificates the Secret holds, created or renewed first if needed. */
  async ensure(now = Date.now()): Promise<WebhookCerts> {
    for (let attempt = 0; ; attempt++) {
      const secret = await this.#kube.request<Secret>('GET', this.#secretPath).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      const current = secret ? certsOf(secret) : undefined;
      const names = requiredNames(this.#id);
      if (current) {
        const reason = await renewalReason(current, names, now);
        if (!reason) return current;
        this.#log.info({ reason }, 'issuing a new webhook serving certificate');
      }
      // Keep the CA (the caBundle the API server holds) whenever the Secret has a usable one.
      const ca = current?.ca ?? (await createCa('burstlet-webhook-ca', CA_DAYS));
      const facts = current ? await certFacts(current.serving.certPem) : undefined;
      const certs = { ca, serving: await serving(ca, [...new Set([...names, ...(facts?.names ?? [])])]) };
      try {
        if (secret) await this.#kube.request('PUT', this.#secretPath, { body: secretFor(this.#id, certs, secret.metadata?.resourceVersion) });
        else await this.#kube.request('POST', `/api/v1/namespaces/${this.#id.namespace}/secrets`, { body: secretFor(this.#id, certs) });
        return certs;
      } catch (err) {
        // Another replica wrote first: read and use what it wrote.
        if (!(isConflict(err) || isAlreadyExists(err)) || attempt >= 3) throw err;
      }
    }
  }

  /** Writes the CA into the configuration's webhooks that lack it; returns how many changed. */
  async syncCaBundle(caPem: string): Promise<number> {
    const path = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${this.#id.configurationName}`;
    for (let attempt = 0; ; attempt++) {
      let config: WebhookConfiguration;
      try {
        config = await this.#kube.request<WebhookConfiguration>('GET', path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        if (!this.#missingConfigLogged) {
          this.#log.warn({ configuration: this.#id.configurationName }, 'MutatingWebhookConfiguration not found: the webhook is served, but the API server will not call it until manifests/ are applied');
          this.#missingConfigLogged = true;
        }
        return 0;
      }
      this.#missingConfigLogged = false;
      const stale = staleCaBundles(config, caPem);
      if (stale.length === 0) return 0;
      for (const i of stale) {
        const w = config.webhooks![i]!;
        w.clientConfig = { ...w.clientConfig, caBundle: b64(caPem) };
      }
      try {
        await this.#kube.request('PUT', path, { body: config });
        this.#log.info({ configuration: this.#id.configurationName, webhooks: stale.length }, 'webhook caBundle updated');
        return stale.length;
      } catch (err) {
        if (!isConflict(err) || attempt >= 3) throw err;
      }
    }
  }
}
