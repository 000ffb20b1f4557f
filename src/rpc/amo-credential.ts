/**
 * The course's at-most-once credential (AUTH_AMO, struct amo_cred): a client id, the server's
 * boot cookie and the highest xid whose reply the client holds. Any lab's client may send it.
 */
import { XdrWriter } from "./xdr.ts";

export const AUTH_AMO = 0x4004;
export const AMO_CRED_BYTES = 20;

/** The AUTH_AMO credential body: always exactly 20 bytes. */
export function encodeAmoCred(cred: {
  clientId: bigint;
  cookie: bigint;
  ackedXid: number;
}): Buffer {
  return new XdrWriter().uhyper(cred.clientId).uhyper(cred.cookie).uint(cred.ackedXid).toBuffer();
}
