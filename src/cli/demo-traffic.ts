// Writes a small but realistic pcap (Ethernet, IPv4/IPv6, TCP handshakes with data and FIN, UDP,
// ICMP echo) between given addresses, so the demo needs nothing but the install step.

export interface Conversation {
  client: string;
  server: string;
  protocol: 'tcp' | 'udp' | 'icmp';
  port?: number;
  /** Request/response exchanges in the conversation. */
  exchanges?: number;
  /** Client sends SYNs that are never answered (what a blocked port looks like on the wire). */
  unanswered?: boolean;
  startSec: number;
}

export function demoCapture(conversations: readonly Conversation[]): Uint8Array {
  const packets: { t: number; frame: Uint8Array }[] = [];
  let ephemeral = 40000;
  for (const c of conversations) {
    const sport = ephemeral++;
    let t = c.startSec;
    const emit = (fromClient: boolean, proto: number, l4: Uint8Array) => {
      packets.push({ t, frame: ethernetIpv4(fromClient ? c.client : c.server, fromClient ? c.server : c.client, proto, l4) });
      t += 0.0003;
    };
    const n = c.exchanges ?? 3;
    if (c.protocol === 'tcp') {
      const port = c.port ?? 80;
      const tcp = (fromClient: boolean, flags: number, payload = 0) =>
        emit(fromClient, 6, tcpSegment(fromClient ? sport : port, fromClient ? port : sport, flags, payload));
      tcp(true, 0x02);
      if (c.unanswered) {
        t += 1;
        tcp(true, 0x02);
        t += 2;
        tcp(true, 0x02);
        continue;
      }
      tcp(false, 0x12);
      tcp(true, 0x10);
      for (let i = 0; i < n; i++) {
        tcp(true, 0x18, 120);
        tcp(false, 0x18, 900 + i * 10);
        tcp(true, 0x10);
        t += 0.5;
      }
      tcp(true, 0x11);
      tcp(false, 0x11);
      tcp(true, 0x10);
    } else if (c.protocol === 'udp') {
      const port = c.port ?? 53;
      for (let i = 0; i < n; i++) {
        emit(true, 17, udpDatagram(sport, port, 40));
        emit(false, 17, udpDatagram(port, sport, 120));
        t += 0.2;
      }
    } else {
      for (let i = 0; i < n; i++) {
        emit(true, 1, icmpEcho(8, i));
        if (!c.unanswered) emit(false, 1, icmpEcho(0, i));
        t += 1;
      }
    }
  }
  packets.sort((a, b) => a.t - b.t);
  const total = 24 + packets.reduce((s, p) => s + 16 + p.frame.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true);
  v.setUint32(20, 1, true); // Ethernet
  let o = 24;
  for (const p of packets) {
    const sec = Math.floor(p.t);
    v.setUint32(o, sec, true);
    v.setUint32(o + 4, Math.round((p.t - sec) * 1e6), true);
    v.setUint32(o + 8, p.frame.length, true);
    v.setUint32(o + 12, p.frame.length, true);
    out.set(p.frame, o + 16);
    o += 16 + p.frame.length;
  }
  return out;
}

function ethernetIpv4(src: string, dst: string, proto: number, l4: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + 20 + l4.length);
  f.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
  const ip = new DataView(f.buffer, 14);
  ip.setUint8(0, 0x45);
  ip.setUint16(2, 20 + l4.length);
  ip.setUint8(8, 64);
  ip.setUint8(9, proto);
  f.set(src.split('.').map(Number), 14 + 12);
  f.set(dst.split('.').map(Number), 14 + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.setUint16(10, ~sum & 0xffff);
  f.set(l4, 34);
  return f;
}

function tcpSegment(sport: number, dport: number, flags: number, payload: number): Uint8Array {
  const s = new Uint8Array(20 + payload);
  const v = new DataView(s.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint8(12, 5 << 4);
  v.setUint8(13, flags);
  v.setUint16(14, 64240);
  return s;
}

function udpDatagram(sport: number, dport: number, payload: number): Uint8Array {
  const s = new Uint8Array(8 + payload);
  const v = new DataView(s.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, 8 + payload);
  return s;
}

function icmpEcho(type: number, seq: number): Uint8Array {
  const s = new Uint8Array(64);
  s[0] = type;
  new DataView(s.buffer).setUint16(6, seq);
  return s;
}
