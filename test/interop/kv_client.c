/*
 * A tiny C client built from rpcgen's client stubs (kv_clnt.c) and libtirpc: it proves the C
 * side agrees with itself and sees what dslab's TypeScript client wrote. Usage: kv_client PORT KEY.
 * Prints "boot=<hex> get=<status>:<val>" and exits 0, or prints an error and exits 1.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rpc/rpc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: kv_client PORT KEY\n");
    return 1;
  }
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((unsigned short)atoi(argv[1]));
  int sock = RPC_ANYSOCK;
  CLIENT *clnt = clnttcp_create(&addr, KV_PROG, KV_V1, &sock, 0, 0);
  if (clnt == NULL) {
    clnt_pcreateerror("kv_client: clnttcp_create");
    return 1;
  }
  u_quad_t *cookie = kv_boot_1(NULL, clnt);
  if (cookie == NULL) {
    clnt_perror(clnt, "kv_client: KV_BOOT");
    return 1;
  }
  unsigned long long boot = *cookie;
  longstring key = argv[2];
  get_result *got = kv_get_1(&key, clnt);
  if (got == NULL) {
    clnt_perror(clnt, "kv_client: KV_GET");
    return 1;
  }
  printf("boot=%016llx get=%d:%s\n", boot, (int)got->status,
         got->status == KV_OK ? got->get_result_u.val : "");
  clnt_destroy(clnt);
  return 0;
}
