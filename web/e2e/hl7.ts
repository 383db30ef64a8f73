import { connect } from 'node:net';

// The hospital's ADT feed for browser tests: HL7 messages sent over MLLP as an interface
// engine sends them, to `serve --hl7-port` (a port from harness.ts's freePort).

// Sends one HL7 message over MLLP to 127.0.0.1:port and returns MSA-1 of its ACK.
export function sendAdt(port: number, message: string): Promise<string> {
  return new Promise((resolveAck, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`\x0b${message}\x1c\r`));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      const end = received.indexOf('\x1c\r');
      if (end < 0) return;
      socket.end();
      const msa = received.slice(1, end).split('\r').find((segment) => segment.startsWith('MSA|'));
      resolveAck(msa?.split('|')[1] ?? '');
    });
    socket.on('error', reject);
  });
}

// An HL7 timestamp `minutes` from now, in UTC with its offset: later events sort after
// the demo's.
export function hl7Time(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + '+0000';
}
