// `burstlet check -f FILE|-`: an offline dry run of manifests against what a burst node would
// do with them. Exit 0: every pod can burst; 1: something cannot (or a Service breaks CCE's
// rules); 2: usage errors, including input that is not YAML/JSON manifests.
import { errorMessage } from '../log/error-message.ts';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkManifests } from '../check/check.ts';
import { MAX_INPUT_BYTES, ManifestError, parseManifests, sortManifests, type Located } from '../check/manifests.ts';
import { renderReport } from '../check/render.ts';
import { dnsFlags } from '../network/dns/flags.ts';
import { dnsDomain } from '../flags/flags.ts';
import { loadHostResolvConf } from '../network/dns/host-resolv-conf.ts';
import { boolFlag, defineSubcommand, enumFlag, requiredString, UsageError } from '../flags/flags.ts';

/** Reads a stream, keeping the total read so far (`budget.left`) within MAX_INPUT_BYTES. */
async function readBounded(stream: Readable, what: string, budget: { left: number }): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      budget.left -= chunk.length;
      if (budget.left < 0) throw new UsageError(`burstlet check: the input is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB (at ${what}); check fewer manifests at a time`);
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`burstlet check: cannot read ${what}: ${errorMessage(err)}; give a readable file, or - for standard input`);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The files -f names: standard input, one file, or a directory's .yaml/.yml/.json files (not recursive, as kubectl's -f). */
async function inputFiles(filename: string): Promise<string[]> {
  if (filename === '-') return ['-'];
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(filename)).isDirectory();
  } catch (err) {
    throw new UsageError(`burstlet check: cannot read ${JSON.stringify(filename)}: ${errorMessage(err)}; give a readable file or directory, or - for standard input`);
  }
  if (!isDirectory) return [filename];
  const names = (await readdir(filename)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
  return names.map((n) => join(filename, n));
}

async function readManifests(filename: string): Promise<Located[]> {
  const budget = { left: MAX_INPUT_BYTES };
  const objects: Located[] = [];
  for (const file of await inputFiles(filename)) {
    const what = file === '-' ? 'standard input' : JSON.stringify(file);
    const text = await readBounded(file === '-' ? process.stdin : createReadStream(file), what, budget);
    try {
      objects.push(...parseManifests(text, file));
    } catch (err) {
      if (err instanceof ManifestError) throw new UsageError(`burstlet check: ${err.message}`);
      throw err;
    }
  }
  return objects;
}

export default defineSubcommand({
  name: 'check',
  summary: 'Dry-run manifests offline: for each pod they create, whether it can burst, the CCI flavor and resolv.conf it would get, and the CCE constraints it meets. Exits 0 when every pod can burst, 1 when one cannot, 2 on usage errors.',
  flags: {
    filename: { ...requiredString('The manifests: a YAML file (any number of documents) or JSON (Lists too), a directory of them, or - for standard input (required)', 'a file or directory path, or -'), short: 'f' },
    output: { ...enumFlag('Output format', 'text', ['text', 'json'] as const), short: 'o' },
    nodename: { ...requiredString('Name of the virtual node (for nodeSelector kubernetes.io/hostname)', 'a DNS-1123 subdomain'), default: 'burstlet-cci', parse: dnsDomain },
    'enable-networking': boolFlag('Check as for burstlet node --enable-networking: the sidecar counts in the flavor, and Services are reachable from app containers'),
    ...dnsFlags,
  },
  async run(v) {
    if (v.filename === '') throw new UsageError('burstlet check: -f/--filename is required; expected a file path, or - for standard input');
    const objects = await readManifests(v.filename);
    let hostResolvConf;
    try {
      hostResolvConf = await loadHostResolvConf(v['resolv-conf']);
    } catch (err) {
      throw new UsageError(`burstlet check: ${errorMessage(err)}`);
    }
    const report = checkManifests(sortManifests(objects), {
      node: {
        name: v.nodename,
        clusterDomain: v['cluster-domain'],
        clusterDNS: v['cluster-dns'],
        hostResolvConf,
        overflow: v['dns-nameserver-overflow'],
      },
      networking: v['enable-networking'],
    });
    process.stdout.write(v.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    return report.ok ? 0 : 1;
  },
});
