import { describe, expect, it } from 'vitest';
import { serverLogShowsData } from '../../../lab/iperf.js';

// What iperf3 3.12's server (`-s -1 --logfile`) wrote for a UDP client whose handshake datagram
// was dropped, for one whose handshake reply was dropped (the server runs its test, the client
// waits for ever; seen in the lab under load), and for one whose test ran.
const HUNG = `-----------------------------------------------------------
Server listening on 5301 (test #1)
-----------------------------------------------------------
Accepted connection from 10.30.0.1, port 40112
`;
const REPLY_LOST = `${HUNG}[  6] local 10.0.0.14 port 5204 connected to 10.0.0.13 port 41733
[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams
[  6]   0.00-1.00   sec  0.00 Bytes  0.00 bits/sec  0.000 ms  0/0 (0%)
[  6]  12.00-12.86  sec  0.00 Bytes  0.00 bits/sec  0.000 ms  0/0 (0%)
- - - - - - - - - - - - - - - - - - - - - - - - -
[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams
[  6]   0.00-12.86  sec  0.00 Bytes  0.00 bits/sec  0.000 ms  0/0 (0%)  receiver
`;
const RAN = `${HUNG}[  6] local 10.30.0.2 port 5301 connected to 10.30.0.1 port 45026
[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams
[  6]   0.00-1.00   sec   122 KBytes  1000 Kbits/sec  0.012 ms  0/125 (0%)
`;

describe('iperf3 server log', () => {
  it('shows data only once an interval moved bytes', () => {
    expect(serverLogShowsData(HUNG)).toBe(false);
    expect(serverLogShowsData(`${HUNG}[  6] local 10.30.0.2 port 5301 connected to 10.30.0.1 port 45026\n`)).toBe(false);
    expect(serverLogShowsData(REPLY_LOST)).toBe(false);
    expect(serverLogShowsData(RAN)).toBe(true);
    expect(serverLogShowsData(RAN.replace('122 KBytes', '1.20 MBytes'))).toBe(true);
    expect(serverLogShowsData('')).toBe(false);
  });
});
