// Running one nft transaction: the script on stdin of `nft -f -`, applied atomically or not at
// all, with nft's own message when it is refused.
import { execFile } from 'node:child_process';

/** The tables the sidecar owns (ip and ip6), whichever proxy mode writes them. */
export const NFT_TABLE = 'burstlet';

export type NftRunner = (script: string) => Promise<void>;

export const nft: NftRunner = (script) =>
  new Promise((resolve, reject) => {
    const child = execFile('nft', ['-f', '-'], (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      const why = missing ? 'nft is not installed (Debian package nftables)' : stderr.trim() || err.message;
      reject(new Error(`${why} (the sidecar needs nft and CAP_NET_ADMIN in the pod's network namespace)`, { cause: err }));
    });
    child.stdin?.on('error', () => {}); // nft missing or dead: the callback reports it.
    child.stdin?.end(script);
  });
