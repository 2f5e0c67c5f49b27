// The name server of the classroom engine's network namespace: it answers every question with
// "no such name" (NXDOMAIN), at once. The room has no internet; without an answer, Docker's
// embedded DNS in a node stays silent and a nested engine's lookup of Docker Hub waits 20 s for its
// time-outs, where an offline machine's resolver says no in a moment. Run by caged-engine.ts
// inside that namespace: `node room-dns.js ADDRESS`.
import { createSocket } from 'node:dgram';

/** The NXDOMAIN answer to a DNS query (its id and question echoed), or undefined for no query. */
export function nxdomain(query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined;
  const flags = query.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // an answer, not a question
  const out = Buffer.from(query);
  // QR=1, the query's opcode and RD, RA=1, RCODE=3 (NXDOMAIN)
  out.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0080 | 3, 2);
  out.writeUInt16BE(0, 6); // no answers
  out.writeUInt16BE(0, 8); // no authority
  out.writeUInt16BE(0, 10); // no additional records (an EDNS0 OPT of the query is dropped)
  // the question section only: walk the name, then type and class
  let i = 12;
  for (let q = query.readUInt16BE(4); q > 0 && i < query.length; q--) {
    for (;;) {
      const len = query[i];
      if (len === undefined) break;
      if ((len & 0xc0) === 0xc0) {
        i += 2; // a pointer ends the name
        break;
      }
      i += 1 + len;
      if (len === 0) break;
    }
    i += 4; // type and class
  }
  return out.subarray(0, Math.min(i, out.length));
}

if (process.argv[1]?.endsWith('room-dns.js')) {
  const address = process.argv[2] ?? '0.0.0.0';
  const sock = createSocket('udp4');
  sock.on('message', (msg, from) => {
    const reply = nxdomain(msg);
    if (reply) sock.send(reply, from.port, from.address);
  });
  sock.bind(53, address);
}
