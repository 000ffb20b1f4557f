/*
 * A tiny lab-1 KV server built from rpcgen's output (kv.h, kv_svc.c with -m, kv_xdr.c) and
 * libtirpc, for dslab's interop tests (test/rpc-interop-tirpc.test.ts). It listens on
 * 127.0.0.1 on an ephemeral port, prints "PORT <n>" on stdout, and registers with protocol 0
 * so no rpcbind is needed. Behaviour is trivial and fixed, only there to exercise every result
 * shape: a small table for CREATE/SET/REMOVE/GET, a fixed LIST and a fixed BOOT cookie.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rpc/rpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kv.h"

#define SLOTS 64

static char *keys[SLOTS];
static char *vals[SLOTS];

static int find(const char *key) {
  for (int i = 0; i < SLOTS; i++)
    if (keys[i] != NULL && strcmp(keys[i], key) == 0) return i;
  return -1;
}

void *kv_null_1_svc(void *argp, struct svc_req *rqstp) {
  static char nothing;
  (void)argp;
  (void)rqstp;
  return &nothing;
}

kv_status *kv_create_1_svc(kvpair *argp, struct svc_req *rqstp) {
  static kv_status status;
  (void)rqstp;
  status = KV_KEY_EXISTS;
  if (find(argp->key) >= 0) return &status;
  for (int i = 0; i < SLOTS; i++) {
    if (keys[i] == NULL) {
      keys[i] = strdup(argp->key);
      vals[i] = strdup(argp->val);
      status = KV_OK;
      return &status;
    }
  }
  status = KV_NO_PARENT; /* table full: any error will do for a test server */
  return &status;
}

kv_status *kv_remove_1_svc(longstring *argp, struct svc_req *rqstp) {
  static kv_status status;
  (void)rqstp;
  int i = find(*argp);
  status = KV_KEY_NOT_FOUND;
  if (i < 0) return &status;
  free(keys[i]);
  free(vals[i]);
  keys[i] = vals[i] = NULL;
  status = KV_OK;
  return &status;
}

kv_status *kv_set_1_svc(kvpair *argp, struct svc_req *rqstp) {
  static kv_status status;
  (void)rqstp;
  int i = find(argp->key);
  status = KV_KEY_NOT_FOUND;
  if (i < 0) return &status;
  free(vals[i]);
  vals[i] = strdup(argp->val);
  status = KV_OK;
  return &status;
}

get_result *kv_get_1_svc(longstring *argp, struct svc_req *rqstp) {
  static get_result result;
  (void)rqstp;
  int i = find(*argp);
  result.status = i < 0 ? KV_KEY_NOT_FOUND : KV_OK;
  result.get_result_u.val = i < 0 ? NULL : vals[i];
  return &result;
}

list_result *kv_list_1_svc(longstring *argp, struct svc_req *rqstp) {
  static char *names[] = {"alpha", "beta"};
  static list_result result;
  (void)rqstp;
  memset(&result, 0, sizeof result);
  if (strcmp(*argp, "/") == 0) {
    result.status = KV_OK;
    result.list_result_u.children.children_len = 2;
    result.list_result_u.children.children_val = names;
  } else if (strcmp(*argp, "/leaf") == 0) {
    result.status = KV_OK;
  } else {
    result.status = KV_MALFORMED_KEY;
  }
  return &result;
}

u_quad_t *kv_boot_1_svc(void *argp, struct svc_req *rqstp) {
  static u_quad_t cookie = 0x0102030405060708ULL;
  (void)argp;
  (void)rqstp;
  return &cookie;
}

extern void kv_prog_1(struct svc_req *rqstp, SVCXPRT *transp);

int main(void) {
  int sock = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (sock < 0 || setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(sock, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(sock, SOMAXCONN) < 0) {
    perror("kv_server: socket/bind/listen on 127.0.0.1");
    return 1;
  }
  /* Given a bound, listening socket, svctcp_create keeps its address (and does not listen). */
  SVCXPRT *xprt = svctcp_create(sock, 0, 0);
  if (xprt == NULL) {
    fprintf(stderr, "kv_server: svctcp_create failed\n");
    return 1;
  }
  /* Protocol 0: register the dispatcher without telling rpcbind. */
  if (!svc_register(xprt, KV_PROG, KV_V1, kv_prog_1, 0)) {
    fprintf(stderr, "kv_server: svc_register failed\n");
    return 1;
  }
  printf("PORT %d\n", xprt->xp_port);
  fflush(stdout);
  svc_run();
  fprintf(stderr, "kv_server: svc_run returned\n");
  return 1;
}
