/**
 * Test PKI for the fake API server over https: a CA, a server certificate for 127.0.0.1/localhost
 * and a client certificate whose CN is the user, made with the openssl CLI in a temporary directory
 * (node:crypto cannot issue X.509 certificates). Fails loudly when openssl is missing.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  ca: string;
  server: { cert: string; key: string };
  client: { cert: string; key: string };
}

export function makeTestPki(clientCn = "alice", clientOrg = "auditors"): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "kra-pki-"));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  try {
    ssl(
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=fake-ca",
      "-keyout",
      f("ca.key"),
      "-out",
      f("ca.crt"),
    );
    writeFileSync(
      f("server.ext"),
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    );
    writeFileSync(f("client.ext"), "extendedKeyUsage=clientAuth\n");
    for (const [name, subj] of [
      ["server", "/CN=fake-apiserver"],
      ["client", `/O=${clientOrg}/CN=${clientCn}`],
    ] as const) {
      ssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        subj,
        "-keyout",
        f(`${name}.key`),
        "-out",
        f(`${name}.csr`),
      );
      ssl(
        "x509",
        "-req",
        "-in",
        f(`${name}.csr`),
        "-CA",
        f("ca.crt"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        f(`${name}.ext`),
        "-out",
        f(`${name}.crt`),
      );
    }
    const read = (n: string) => readFileSync(f(n), "utf8");
    return {
      ca: read("ca.crt"),
      server: { cert: read("server.crt"), key: read("server.key") },
      client: { cert: read("client.crt"), key: read("client.key") },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
