/*
 * Batch UDP receive for the flow listeners (sFlow, IPFIX, NetFlow): one recvmmsg(2) call takes up to
 * BATCH datagrams off the socket, and JavaScript is called once per batch instead of once per
 * datagram as node:dgram does (there, per datagram: a libuv read callback, a Buffer, an rinfo
 * object and an address string; 40% of a saturated receiver's CPU, BENCHMARKS.md "sflow-ingest").
 *
 * The datagrams land in one ArrayBuffer of BATCH slots of SLOT bytes each that JavaScript holds a
 * view of; `meta` (an Int32Array over the same kind of buffer) gives per datagram its length, the
 * index of its source address in a small table, and its source port. A datagram is only valid
 * during the batch callback: the next batch reuses the slots.
 *
 * Source addresses: formatting one per datagram would cost a string each; instead a table of the
 * addresses seen (MAX_ADDRESSES, reset when full) maps each to an index, and JavaScript gets the
 * table's strings (inet_ntop) again only in a batch where it changed.
 *
 * Readiness comes from a uv_poll on Node's own event loop, so the socket is served between other
 * work as a node:dgram socket is; each readable event takes at most MAX_BATCHES_PER_EVENT batches
 * before yielding to the loop.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define BATCH 32
#define SLOT 65536 /* the largest UDP payload fits: nothing is ever truncated */
#define META_FIELDS 3 /* length, address index, port */
#define MAX_ADDRESSES 1024
#define MAX_BATCHES_PER_EVENT 16

typedef struct {
  napi_env env;
  int fd;
  uv_poll_t poll;
  napi_ref on_batch;
  napi_ref data_ref;
  napi_ref meta_ref;
  napi_ref resource_ref;
  napi_ref on_closed; /* close()'s callback, called once the descriptor is closed */
  napi_async_context async_context;
  uint8_t *data;
  int32_t *meta;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in6 from[BATCH]; /* large enough for either family */
  struct sockaddr_in6 addresses[MAX_ADDRESSES];
  int address_count;
  int last_address;
  int addresses_changed;
  int closed;
  int holders; /* the JavaScript handle and the libuv poll: freed when both let go */
} Receiver;

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char text[256];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_throw_error(env, "ERR_SOCKET", text);
  return NULL;
}

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      const napi_extended_error_info *info = NULL;                         \
      napi_get_last_error_info(env, &info);                                \
      napi_throw_error(env, NULL, info && info->error_message ? info->error_message : #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static int same_address(const struct sockaddr_in6 *a, const struct sockaddr_in6 *b) {
  if (a->sin6_family != b->sin6_family) return 0;
  if (a->sin6_family == AF_INET) {
    return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  }
  return memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0 && a->sin6_scope_id == b->sin6_scope_id;
}

/* The table index of a datagram's source address, adding it (or starting the table over) if new. */
static int address_index(Receiver *r, const struct sockaddr_in6 *from) {
  if (r->last_address >= 0 && same_address(&r->addresses[r->last_address], from)) return r->last_address;
  for (int i = 0; i < r->address_count; i++) {
    if (same_address(&r->addresses[i], from)) return r->last_address = i;
  }
  if (r->address_count == MAX_ADDRESSES) r->address_count = 0;
  r->addresses[r->address_count] = *from;
  r->addresses_changed = 1;
  return r->last_address = r->address_count++;
}

static int port_of(const struct sockaddr_in6 *from) {
  return ntohs(from->sin6_family == AF_INET ? ((const struct sockaddr_in *)from)->sin_port : from->sin6_port);
}

/* The address table as JavaScript strings, as node:dgram formats rinfo.address (inet_ntop). */
static napi_value address_strings(Receiver *r) {
  napi_env env = r->env;
  napi_value list;
  CHECK(napi_create_array_with_length(env, r->address_count, &list));
  for (int i = 0; i < r->address_count; i++) {
    char text[INET6_ADDRSTRLEN + 16];
    const struct sockaddr_in6 *a = &r->addresses[i];
    if (a->sin6_family == AF_INET) {
      inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    }
    napi_value s;
    CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &s));
    CHECK(napi_set_element(env, list, i, s));
  }
  return list;
}

/* Calls onBatch(count, addresses | undefined), or onBatch(-errno) for a socket error. */
static void call_js(Receiver *r, int count) {
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, resource, argv[2], result;
  napi_get_reference_value(env, r->on_batch, &fn);
  napi_get_reference_value(env, r->resource_ref, &resource);
  napi_create_int32(env, count, &argv[0]);
  napi_value addresses = NULL;
  if (r->addresses_changed) {
    addresses = address_strings(r);
    r->addresses_changed = 0;
  }
  if (addresses == NULL) napi_get_undefined(env, &addresses);
  argv[1] = addresses;
  if (napi_make_callback(env, r->async_context, resource, fn, 2, argv, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  Receiver *r = handle->data;
  (void)events;
  if (status < 0) {
    call_js(r, status);
    return;
  }
  for (int batch = 0; batch < MAX_BATCHES_PER_EVENT && !r->closed; batch++) {
    for (int i = 0; i < BATCH; i++) {
      r->msgs[i].msg_hdr.msg_namelen = sizeof r->from[i];
      r->msgs[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(r->fd, r->msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) call_js(r, -errno);
      return;
    }
    for (int i = 0; i < n; i++) {
      int32_t *m = r->meta + i * META_FIELDS;
      m[0] = (int32_t)r->msgs[i].msg_len;
      m[1] = address_index(r, &r->from[i]);
      m[2] = port_of(&r->from[i]);
    }
    if (n > 0) call_js(r, n);
    if (n < BATCH) return; /* the queue is drained */
  }
}

static void release(Receiver *r) {
  if (--r->holders == 0) free(r);
}

static void on_closed(uv_handle_t *handle) {
  Receiver *r = handle->data;
  close(r->fd);
  if (r->on_closed != NULL) {
    napi_env env = r->env;
    napi_handle_scope scope;
    napi_value fn, global, result;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      napi_get_reference_value(env, r->on_closed, &fn);
      napi_get_global(env, &global);
      if (napi_call_function(env, global, fn, 0, NULL, &result) == napi_pending_exception) {
        napi_value err;
        napi_get_and_clear_last_exception(env, &err);
        napi_fatal_exception(env, err);
      }
      napi_close_handle_scope(env, scope);
    }
    napi_delete_reference(env, r->on_closed);
  }
  release(r);
}

/* Drops the JavaScript references and stops the poll; the memory goes when libuv has closed it. */
static void shut(Receiver *r) {
  if (r->closed) return;
  r->closed = 1;
  napi_env env = r->env;
  uv_poll_stop(&r->poll);
  napi_async_destroy(env, r->async_context);
  napi_delete_reference(env, r->on_batch);
  napi_delete_reference(env, r->data_ref);
  napi_delete_reference(env, r->meta_ref);
  napi_delete_reference(env, r->resource_ref);
  uv_close((uv_handle_t *)&r->poll, on_closed);
}

static void cleanup_hook(void *arg) {
  shut(arg);
}

/* The JavaScript handle was collected: a socket nobody can close any more is closed now. */
static void handle_finalized(napi_env env, void *data, void *hint) {
  Receiver *r = data;
  (void)hint;
  if (!r->closed) {
    napi_remove_env_cleanup_hook(env, cleanup_hook, r);
    shut(r);
  }
  release(r);
}

static int parse_address(const char *host, int port, struct sockaddr_in6 *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof *v4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, host, &out->sin6_addr) == 1) {
    out->sin6_family = AF_INET6;
    out->sin6_port = htons(port);
    *len = sizeof *out;
    return AF_INET6;
  }
  return -1;
}

/*
 * open(host: string, port: number, receiveBufferBytes: number, onBatch) →
 *   { handle, port, receiveBufferBytes, data: ArrayBuffer, meta: Int32Array, slotBytes }
 * host is a numeric IPv4 or IPv6 address (JavaScript resolves names first).
 */
static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "open(host, port, receiveBufferBytes, onBatch)");
    return NULL;
  }
  char host[INET6_ADDRSTRLEN + 1];
  size_t host_len;
  int32_t port, rcvbuf;
  CHECK(napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len));
  CHECK(napi_get_value_int32(env, argv[1], &port));
  CHECK(napi_get_value_int32(env, argv[2], &rcvbuf));

  struct sockaddr_in6 bind_to;
  socklen_t bind_len;
  int family = parse_address(host, port, &bind_to, &bind_len);
  if (family < 0 || port < 0 || port > 65535) {
    napi_throw_type_error(env, "ERR_INVALID_ADDRESS", "not a numeric IPv4/IPv6 address and port");
    return NULL;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_RCVBUF)", err);
  }
  if (bind(fd, (struct sockaddr *)&bind_to, bind_len) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  struct sockaddr_in6 bound;
  socklen_t bound_len = sizeof bound;
  int granted = 0;
  socklen_t granted_len = sizeof granted;
  getsockname(fd, (struct sockaddr *)&bound, &bound_len);
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &granted_len);

  Receiver *r = calloc(1, sizeof *r);
  if (r == NULL) {
    close(fd);
    return throw_errno(env, "calloc", ENOMEM);
  }
  r->env = env;
  r->fd = fd;
  r->last_address = -1;
  r->holders = 2;

  napi_value data, meta_buffer, meta, resource, name, handle, result, value;
  if (napi_create_arraybuffer(env, (size_t)BATCH * SLOT, (void **)&r->data, &data) != napi_ok ||
      napi_create_arraybuffer(env, sizeof(int32_t) * BATCH * META_FIELDS, (void **)&r->meta, &meta_buffer) != napi_ok) {
    close(fd);
    free(r);
    napi_throw_error(env, NULL, "cannot allocate the receive buffers");
    return NULL;
  }
  for (int i = 0; i < BATCH; i++) {
    r->iov[i].iov_base = r->data + (size_t)i * SLOT;
    r->iov[i].iov_len = SLOT;
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
    r->msgs[i].msg_hdr.msg_name = &r->from[i];
  }
  CHECK(napi_create_typedarray(env, napi_int32_array, BATCH * META_FIELDS, meta_buffer, 0, &meta));
  CHECK(napi_create_object(env, &resource));
  CHECK(napi_create_string_utf8(env, "ovs-telemetry.udp-batch", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, resource, name, &r->async_context));
  CHECK(napi_create_reference(env, argv[3], 1, &r->on_batch));
  CHECK(napi_create_reference(env, data, 1, &r->data_ref));
  CHECK(napi_create_reference(env, meta, 1, &r->meta_ref));
  CHECK(napi_create_reference(env, resource, 1, &r->resource_ref));

  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  uv_poll_init(loop, &r->poll, fd);
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  napi_add_env_cleanup_hook(env, cleanup_hook, r);

  CHECK(napi_create_external(env, r, handle_finalized, NULL, &handle));
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "handle", handle));
  CHECK(napi_create_int32(env, port_of(&bound), &value));
  CHECK(napi_set_named_property(env, result, "port", value));
  CHECK(napi_create_int32(env, granted, &value));
  CHECK(napi_set_named_property(env, result, "receiveBufferBytes", value));
  CHECK(napi_set_named_property(env, result, "data", data));
  CHECK(napi_set_named_property(env, result, "meta", meta));
  CHECK(napi_create_int32(env, SLOT, &value));
  CHECK(napi_set_named_property(env, result, "slotBytes", value));
  return result;
}

/* close(handle, onClosed): stops receiving, calls onClosed when the port is free; a second close is a no-op. */
static napi_value close_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *ptr = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || napi_get_value_external(env, argv[0], &ptr) != napi_ok || ptr == NULL) {
    napi_throw_type_error(env, NULL, "close(handle, onClosed)");
    return NULL;
  }
  Receiver *r = ptr;
  if (!r->closed) {
    CHECK(napi_create_reference(env, argv[1], 1, &r->on_closed));
    napi_remove_env_cleanup_hook(env, cleanup_hook, r);
    shut(r);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  CHECK(napi_create_function(env, "open", NAPI_AUTO_LENGTH, open_socket, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "open", fn));
  CHECK(napi_create_function(env, "close", NAPI_AUTO_LENGTH, close_socket, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "close", fn));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
