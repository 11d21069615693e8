/*
 * The replay sender of the ingest benchmarks (bench/replay-sender.ts compiles it with the
 * machine's `cc -O2` at bench time and drives it). One Node process cannot send fast enough to
 * find where a Node receiver stops keeping up (dgram has no sendmmsg); this program sends
 * batches with sendmmsg(2), paced to a requested rate in bursts of what is due every TICK_S,
 * and reports the rate it achieved.
 *
 * It knows nothing of sFlow or IPFIX. Its input is a table file (replay-sender.ts writes it,
 * little-endian u32 words):
 *   "OTRS" magic, datagram count, source count,
 *   then per datagram: source, length, patch count, patch count x (offset, base, per_pass),
 *   then the datagram's bytes padded to 4.
 * Datagram i of pass p goes out from the socket of its source (one UDP socket per source of the
 * capture, each with a port of its own) with every patch's big-endian u32 at `offset` set to
 * base + p * per_pass (mod 2^32): the receiver sees one unbroken export stream.
 *
 * Commands on stdin, one a line: "PORT RATE SECONDS" sends whole passes, rate x seconds
 * datagrams rounded to passes (at least one), to 127.0.0.1:PORT, continuing that port's
 * stream where its last command left it; the answer on stdout is "SENT PASSES ELAPSED_US",
 * the elapsed time running from the first send to the return of the last.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x5352544fu /* "OTRS" read as a little-endian word */
#define BATCH 64
#define MAX_PORTS 64
#define SEND_BUFFER (4 * 1024 * 1024)
/*
 * Woken at most this often, the sender sends what is due since its last wake as one burst: a
 * receiver sees small bursts, as a NIC's interrupt coalescing would hand them over, rather
 * than one wake-up per datagram, which on this VM costs more than the datagram itself.
 */
#define TICK_S 250e-6

struct patch {
  uint32_t offset, base, per_pass;
};

struct datagram {
  uint32_t source, length, patches;
  const struct patch *patch;
  const uint8_t *bytes;
};

struct stream_state {
  uint16_t port;
  uint64_t count; /* datagrams sent to this port so far */
};

static struct datagram *datagrams;
static uint32_t datagram_count, source_count, max_length;
static int *sockets;
static struct stream_state ports[MAX_PORTS];
static int port_count;

static void die(const char *what) {
  fprintf(stderr, "replay-sender: %s: %s\n", what, errno ? strerror(errno) : "bad input");
  exit(1);
}

static uint32_t word(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void load(const char *file) {
  FILE *f = fopen(file, "rb");
  if (f == NULL) die(file);
  if (fseek(f, 0, SEEK_END) != 0) die(file);
  long size = ftell(f);
  rewind(f);
  uint8_t *data = malloc((size_t)size);
  if (data == NULL || fread(data, 1, (size_t)size, f) != (size_t)size) die(file);
  fclose(f);
  errno = 0;
  const uint8_t *end = data + size, *p = data + 12;
  if (size < 12 || word(data) != MAGIC) die("not a replay table");
  datagram_count = word(data + 4);
  source_count = word(data + 8);
  if (datagram_count == 0 || source_count == 0) die("empty replay table");
  datagrams = calloc(datagram_count, sizeof *datagrams);
  if (datagrams == NULL) die("calloc");
  for (uint32_t i = 0; i < datagram_count; i++) {
    struct datagram *d = &datagrams[i];
    if (end - p < 12) die("truncated replay table");
    d->source = word(p);
    d->length = word(p + 4);
    d->patches = word(p + 8);
    p += 12;
    if (d->source >= source_count || d->length > 65507 || (uint64_t)(end - p) < 12ull * d->patches) die("bad datagram entry");
    /* The file is read in little-endian words: keep the patches aligned by copying them. */
    struct patch *patch = calloc(d->patches + 1, sizeof *patch);
    if (patch == NULL) die("calloc");
    for (uint32_t k = 0; k < d->patches; k++, p += 12) {
      patch[k] = (struct patch){word(p), word(p + 4), word(p + 8)};
      if (patch[k].offset > d->length || d->length - patch[k].offset < 4) die("patch outside its datagram");
    }
    d->patch = patch;
    if ((uint64_t)(end - p) < d->length) die("truncated datagram");
    d->bytes = p;
    p += (d->length + 3) & ~3u;
    if (d->length > max_length) max_length = d->length;
  }
}

static void open_sockets(void) {
  sockets = calloc(source_count, sizeof *sockets);
  if (sockets == NULL) die("calloc");
  for (uint32_t s = 0; s < source_count; s++) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    int size = SEND_BUFFER;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    /* Bound once, so each source keeps its own port for the whole run (an exporter's identity). */
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) die("bind");
    sockets[s] = fd;
  }
}

static struct stream_state *stream_of(uint16_t port) {
  for (int i = 0; i < port_count; i++)
    if (ports[i].port == port) return &ports[i];
  if (port_count == MAX_PORTS) die("too many ports");
  ports[port_count] = (struct stream_state){.port = port};
  return &ports[port_count++];
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_until(double when) {
  struct timespec t = {.tv_sec = (time_t)when, .tv_nsec = (long)((when - floor(when)) * 1e9)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
  }
}

/* Sends messages [0, n) of a batch that all come from socket `fd`, retrying what the kernel did not take. */
static void send_run(int fd, struct mmsghdr *msgs, unsigned n) {
  while (n > 0) {
    int done = sendmmsg(fd, msgs, n, 0);
    if (done < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS || errno == ECONNREFUSED) continue; /* refused: an ICMP error of an earlier datagram */
      die("sendmmsg");
    }
    msgs += done;
    n -= (unsigned)done;
  }
}

static void replay(uint16_t port, double rate, double seconds) {
  static uint8_t *slots;
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static uint32_t source_of[BATCH];
  if (slots == NULL && (slots = malloc((size_t)BATCH * max_length)) == NULL) die("malloc");
  /* Connected: the kernel then routes once per command, not once per datagram. */
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  for (uint32_t s = 0; s < source_count; s++)
    if (connect(sockets[s], (struct sockaddr *)&to, sizeof to) != 0) die("connect");
  struct stream_state *stream = stream_of(port);
  uint64_t passes = (uint64_t)llround(rate * seconds / datagram_count);
  if (passes == 0) passes = 1;
  const uint64_t total = passes * datagram_count;
  uint64_t sent = 0;
  const double start = now_s();
  while (sent < total) {
    /* Datagram k (from 0) is due k / rate seconds after the start: send all that are due, a batch at a time. */
    const double elapsed = now_s() - start;
    uint64_t due = (uint64_t)(elapsed * rate) + 1;
    if (due > total) due = total;
    if (due <= sent) {
      /* Nothing due: sleep a tick, or until the next datagram is due if that is later. */
      double next = (double)sent / rate;
      sleep_until(start + (next > elapsed + TICK_S ? next : elapsed + TICK_S));
      continue;
    }
    unsigned n = due - sent < BATCH ? (unsigned)(due - sent) : BATCH;
    for (unsigned m = 0; m < n; m++) {
      uint64_t count = stream->count++;
      const struct datagram *d = &datagrams[count % datagram_count];
      uint32_t pass = (uint32_t)(count / datagram_count);
      uint8_t *slot = slots + (size_t)m * max_length;
      memcpy(slot, d->bytes, d->length);
      for (uint32_t k = 0; k < d->patches; k++) {
        uint32_t v = d->patch[k].base + pass * d->patch[k].per_pass; /* wraps mod 2^32 */
        uint8_t *o = slot + d->patch[k].offset;
        o[0] = (uint8_t)(v >> 24);
        o[1] = (uint8_t)(v >> 16);
        o[2] = (uint8_t)(v >> 8);
        o[3] = (uint8_t)v;
      }
      iov[m] = (struct iovec){.iov_base = slot, .iov_len = d->length};
      msgs[m] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[m], .msg_iovlen = 1}};
      source_of[m] = d->source;
    }
    /* One sendmmsg per run of datagrams from the same source. */
    for (unsigned first = 0, m = 1; m <= n; m++) {
      if (m < n && source_of[m] == source_of[first]) continue;
      send_run(sockets[source_of[first]], &msgs[first], m - first);
      first = m;
    }
    sent += n;
  }
  const double elapsed = now_s() - start;
  printf("%llu %llu %.0f\n", (unsigned long long)sent, (unsigned long long)passes, elapsed * 1e6);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: replay-sender TABLE_FILE (commands on stdin: PORT RATE SECONDS)\n");
    return 2;
  }
  load(argv[1]);
  open_sockets();
  char line[128];
  while (fgets(line, sizeof line, stdin) != NULL) {
    unsigned port;
    double rate, seconds;
    if (sscanf(line, "%u %lf %lf", &port, &rate, &seconds) != 3 || port == 0 || port > 65535 || !(rate > 0) || !(seconds > 0)) {
      fprintf(stderr, "replay-sender: bad command: %s", line);
      return 2;
    }
    replay((uint16_t)port, rate, seconds);
  }
  return 0;
}
