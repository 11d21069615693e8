import { describe, expect, it } from 'vitest';
import { serverLogShowsData } from '../../../lab/iperf.js';

// What iperf3 3.12's server (`-s -1 --logfile`) wrote for a UDP client whose handshake datagram
// was dropped, and for one whose test ran.
const HUNG = `-----------------------------------------------------------
Server listening on 5301 (test #1)
-----------------------------------------------------------
Accepted connection from 10.30.0.1, port 40112
`;
const RAN = `${HUNG}[  6] local 10.30.0.2 port 5301 connected to 10.30.0.1 port 45026
[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams
[  6]   0.00-1.00   sec   122 KBytes  1000 Kbits/sec  0.012 ms  0/125 (0%)
`;

describe('iperf3 server log', () => {
  it('shows data only once a test interval was measured', () => {
    expect(serverLogShowsData(HUNG)).toBe(false);
    expect(serverLogShowsData(`${HUNG}[  6] local 10.30.0.2 port 5301 connected to 10.30.0.1 port 45026\n`)).toBe(false);
    expect(serverLogShowsData(RAN)).toBe(true);
    expect(serverLogShowsData('')).toBe(false);
  });
});
