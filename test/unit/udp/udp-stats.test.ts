/**
 * Kernel UDP socket statistics: /proc/net/udp{,6} parsing, and the drops of a real socket whose
 * receive buffer overflows while this process's event loop is blocked.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { parseProcNetUdp, UdpSocketStats } from '../../../collector/udp/udp-stats.js';

const SAMPLE = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  409: 0100007F:18BF 00000000:0000 07 00000000:00000A00 00:00000000 00000000     0        0 123456 2 0000000000000000 17
  410: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 654321 2 0000000000000000 0
garbage line
`;
const SAMPLE6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 1234: 00000000000000000000000001000000:18BF 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 777 2 0000000000000000 3
`;

describe('UDP socket statistics', () => {
  it('parses /proc/net/udp and /proc/net/udp6 rows (port, inode, rx queue, drops)', () => {
    expect(parseProcNetUdp(SAMPLE)).toEqual([
      { localPort: 6335, inode: 123456, drops: 17, rxQueueBytes: 0xa00 },
      { localPort: 68, inode: 654321, drops: 0, rxQueueBytes: 0 },
    ]);
    expect(parseProcNetUdp(SAMPLE6)).toEqual([{ localPort: 6335, inode: 777, drops: 3, rxQueueBytes: 0 }]);
  });

  it('finds our socket by port and inode and reads the drops of a full receive buffer', async () => {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4096 });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.on('message', () => undefined);
    const port = socket.address().port;
    const stats = new UdpSocketStats(port);
    expect(stats.read()).toEqual({ drops: 0, rxQueueBytes: 0 });
    // A child floods the socket while this event loop is blocked in execFileSync: the kernel
    // queues what fits in the receive buffer and drops the rest.
    execFileSync('python3', ['-c', `import socket\ns=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor _ in range(500): s.sendto(b'x' * 512, ('127.0.0.1', ${port}))`]);
    const blocked = stats.read();
    expect(blocked!.drops).toBeGreaterThan(0);
    expect(blocked!.rxQueueBytes).toBeGreaterThan(0);
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    expect(new UdpSocketStats(port).read()).toBeNull();
  });
});
