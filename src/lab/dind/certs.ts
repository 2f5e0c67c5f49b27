// TLS for the lab's engines: a CA, one server certificate per node and one client
// certificate, made with openssl. Engines accept only clients signed by this CA, so a node's
// published port is useless without the client key (kept 0600 under the lab dir).
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';
import { labDir } from '../../paths.js';
import { UserError } from '../../errors.js';
import type { TlsFiles } from '../../docker/engine.js';

export function certsDir(lab: string): string {
  return join(labDir(lab), 'certs');
}

/** Files the CLI (and `lab env`) use: ca.pem, cert.pem, key.pem, as DOCKER_CERT_PATH expects. */
export function clientTls(lab: string): TlsFiles {
  const dir = join(certsDir(lab), 'client');
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

/**
 * Checks that the client certificate files are there and readable as what they claim to be,
 * so a damaged file gives one line with the way out instead of a TLS error per request.
 */
export function checkClientTls(lab: string): void {
  const tls = clientTls(lab);
  try {
    new X509Certificate(readFileSync(tls.ca));
    const cert = new X509Certificate(readFileSync(tls.cert));
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(tls.key)))) throw new Error('the key does not match the certificate');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'damaged';
    throw new UserError(
      `the certificates of lab ${lab} in ${dirname(tls.ca)} are ${why}`,
      `remove the lab and make it again: devcoin-workshop${lab === 'devcoin' ? '' : ` --lab ${lab}`} lab down, then lab up`,
    );
  }
}

/** Folder mounted read-only into a node at /certs: ca.pem, server.pem, server-key.pem. */
export function nodeCertDir(lab: string, node: string): string {
  return join(certsDir(lab), 'nodes', node);
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execa('openssl', args, { cwd });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new UserError('openssl is not installed', 'install it (apt-get install openssl) and run again');
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr ?? '').split('\n')[0]}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function signed(dir: string, name: string, cn: string, ext: string, caDir: string): Promise<void> {
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  await openssl(['req', '-new', ...EC, '-keyout', `${name}-key.pem`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`], dir);
  await openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', join(caDir, 'ca.pem'), '-CAkey', join(caDir, 'ca-key.pem'),
      '-CAcreateserial', '-days', '825', '-out', `${name}.pem`, '-extfile', extFile],
    dir,
  );
  chmodSync(join(dir, `${name}-key.pem`), 0o600);
  rmSync(join(dir, `${name}.csr`), { force: true });
  rmSync(extFile, { force: true });
}

/**
 * Makes whatever is missing: the CA, the client certificate, and a server certificate for
 * each node (name + lab address + localhost). Existing ones are kept, so nodes that are
 * already running keep trusting the same CA.
 */
export async function ensureCerts(lab: string, nodes: { name: string; address: string }[], alsoReachedAt: string[] = []): Promise<void> {
  const extra = alsoReachedAt.map((a) => (isIP(a) ? `IP:${a}` : `DNS:${a}`)).map((x) => `,${x}`).join('');
  const root = certsDir(lab);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  if (!existsSync(join(root, 'ca.pem'))) {
    await openssl(['req', '-x509', ...EC, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '3650', '-subj', `/CN=devcoin-workshop lab ${lab} CA`], root);
    chmodSync(join(root, 'ca-key.pem'), 0o600);
  }
  const client = join(root, 'client');
  if (!existsSync(join(client, 'cert.pem'))) {
    mkdirSync(client, { recursive: true, mode: 0o700 });
    await signed(client, 'client', `devcoin-workshop ${lab} client`, 'extendedKeyUsage=clientAuth\n', root);
    copyFileSync(join(client, 'client.pem'), join(client, 'cert.pem'));
    copyFileSync(join(client, 'client-key.pem'), join(client, 'key.pem'));
    chmodSync(join(client, 'key.pem'), 0o600);
    rmSync(join(client, 'client.pem'));
    rmSync(join(client, 'client-key.pem'));
    copyFileSync(join(root, 'ca.pem'), join(client, 'ca.pem'));
  }
  for (const n of nodes) {
    const dir = nodeCertDir(lab, n.name);
    if (existsSync(join(dir, 'server.pem'))) continue;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    await signed(
      dir,
      'server',
      n.name,
      `subjectAltName=DNS:${n.name},DNS:localhost,IP:${n.address},IP:127.0.0.1${extra}\nextendedKeyUsage=serverAuth\n`,
      root,
    );
    copyFileSync(join(root, 'ca.pem'), join(dir, 'ca.pem'));
  }
}

export function removeCerts(lab: string): void {
  rmSync(certsDir(lab), { recursive: true, force: true });
}
