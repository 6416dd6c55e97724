// Reads the --resolv-conf file once at start (the one I/O piece of DNS).
import { readFile } from 'node:fs/promises';
import type { CciDNSConfig } from '../../cci/types.ts';
import { parseResolvConf } from './resolv-conf.ts';
import { errorMessage } from '../../log/error-message.ts';

/** null when no file is configured; throws with the path and what to do when it cannot be read. */
export async function loadHostResolvConf(path: string): Promise<CciDNSConfig | null> {
  if (path === '') return null;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --resolv-conf ${JSON.stringify(path)}: ${errorMessage(err)}; give a readable resolv.conf file or --resolv-conf="" for none`, { cause: err });
  }
  return parseResolvConf(text).config;
}
