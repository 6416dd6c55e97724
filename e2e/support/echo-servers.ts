// Test endpoints, run inside a network namespace: for each address given, a TCP server that
// greets with its address then echoes (ending when the client ends: half-close), and a UDP
// server that answers "<address>:<payload>". Prints "ready" once all are bound.
// Usage: node echo-servers.ts <tcpPort> <udpPort> <address>...
import dgram from 'node:dgram';
import net from 'node:net';

const [tcpPort, udpPort, ...addresses] = process.argv.slice(2);
await Promise.all(addresses.flatMap((address) => [
  new Promise<void>((resolve) => {
    net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('error', () => {});
      s.write(`${address}\n`);
      s.pipe(s);
    }).listen(Number(tcpPort), address, resolve);
  }),
  new Promise<void>((resolve) => {
    const u = dgram.createSocket('udp4');
    u.on('message', (m, r) => u.send(Buffer.concat([Buffer.from(`${address}:`), m]), r.port, r.address));
    u.bind(Number(udpPort), address, resolve);
  }),
]));
console.log('ready');
