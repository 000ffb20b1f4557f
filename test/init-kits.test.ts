/**
 * `dslab init`: every lab's starter kit, in each language the runtime image builds, goes from
 * `dslab init` to its first `dslab test` verdict (process runtime; test/docker-init-kits covers
 * the container one). An empty server passes no scenario: each run fails (or is unknown, where
 * nothing could be judged) with a first message that points at the missing procedures, never a
 * crash or a harness error. The kits' RPC layer is checked on the wire: NULL answers, a TODO
 * procedure answers PROC_UNAVAIL, the C++ kit's rpcgen routines reject garbage arguments, and a
 * wrong program or version gets the RFC 5531 error.
 */
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { parseXProgram } from "../src/init/x-program.ts";
import { freePort } from "../src/net/free-port.ts";
import type { CallMessage } from "../src/rpc/message.ts";
import { acceptsConnections } from "../src/runtime/tcp-probe.ts";
import { openConnection, replyOf } from "./interop/harness.ts";
import {
  dslab,
  expectHelpfulFirstVerdict,
  FIRST_RUNS,
  initAndTest,
} from "./support/starter-kits.ts";
import { useTempDirs } from "./support/temp-dirs.ts";

const tempDir = useTempDirs();

describe.each(["python", "cpp"])("the %s starter kit", (language) => {
  it.each(FIRST_RUNS)(
    "of lab $lab: init, build, and a first verdict that points at the TODOs",
    {
      timeout: 300_000,
    },
    async (run) => {
      const { initOutput, summary, exitCode } = await initAndTest(tempDir, run, language);
      expect(initOutput).toContain(`test ${run.lab} `);
      expectHelpfulFirstVerdict(run, summary, exitCode);
    },
  );
});

describe("dslab init refuses", () => {
  it("Go and Rust, naming the languages the runtime image builds", async () => {
    for (const language of ["go", "rust"]) {
      const result = await dslab(
        "init",
        "rpc",
        join(await tempDir("dslab-kit-"), "k"),
        "--lang",
        language,
      );
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/no (Go|Rust) toolchain.*cpp and python kits.*rpcgen/);
    }
  });

  it("a folder that is not empty, and leaves it alone", async () => {
    const dir = await tempDir("dslab-kit-");
    await writeFile(join(dir, "mine.txt"), "mine");
    const result = await dslab("init", "rpc", dir, "--lang", "python");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("not empty");
    expect(await readdir(dir)).toEqual(["mine.txt"]);
  });
});

describe("the kits on the wire", () => {
  let server: ResultPromise | undefined;
  afterEach(() => {
    server?.kill("SIGKILL");
  });
  const kvr = parseXProgram("program P { version V { void N(void) = 0; } = 1; } = 1;", "x");
  it("parses a .x program block", () => {
    expect(kvr.procedures).toEqual([
      { name: "N", number: 0, argType: "void", resultType: "void", signature: "void N(void) = 0;" },
    ]);
  });

  it.each(["python", "cpp"])(
    "%s: NULL, a TODO, garbage arguments, a wrong program and version",
    {
      timeout: 120_000,
    },
    async (language) => {
      const dir = join(await tempDir("dslab-kit-"), "kit");
      expect((await dslab("init", "rpc", dir, "--lang", language)).exitCode).toBe(0);
      if (language === "cpp") await execa("make", { cwd: dir, timeout: 100_000 });
      const port = await freePort();
      const argv = language === "cpp" ? ["./server"] : ["python3", "-u", "server.py"];
      server = execa(argv[0] as string, argv.slice(1), {
        cwd: dir,
        env: {
          DSLAB_PORT: String(port),
          DSLAB_DATA_DIR: dir,
          DSLAB_NODE_ID: "n1",
          DSLAB_PEERS: "",
        },
        reject: false,
      });
      for (let tries = 0; !(await acceptsConnections("127.0.0.1", port, 500)); tries++) {
        expect(tries, "the kit never listened").toBeLessThan(40);
        await new Promise((done) => setTimeout(done, 250));
      }
      const connection = await openConnection(port);
      let xid = 1;
      const stat = async (overrides: Partial<CallMessage>) => {
        const reply = replyOf(
          await connection.call(
            { xid: xid++, prog: 0x40048086, vers: 1, proc: 0, ...overrides },
            { timeoutMs: 5000 },
          ),
        );
        if (reply.replyStat !== "MSG_ACCEPTED") return reply.replyStat;
        return reply.accepted.stat === "SUCCESS"
          ? `SUCCESS ${reply.accepted.results.length} bytes`
          : reply.accepted.stat;
      };
      try {
        expect(await stat({})).toBe("SUCCESS 0 bytes");
        expect(
          await stat({
            proc: 4,
            args: Buffer.concat([Buffer.from("00000002", "hex"), Buffer.from("/a\0\0", "latin1")]),
          }),
        ).toBe("PROC_UNAVAIL");
        expect(await stat({ proc: 99 })).toBe("PROC_UNAVAIL");
        expect(await stat({ prog: 7 })).toBe("PROG_UNAVAIL");
        expect(await stat({ vers: 2 })).toBe("PROG_MISMATCH");
        if (language === "cpp") {
          expect(await stat({ proc: 1, args: Buffer.from("00000064", "hex") })).toBe(
            "GARBAGE_ARGS",
          );
        }
      } finally {
        connection.destroy();
      }
    },
  );
});
