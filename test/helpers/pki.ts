/**
 * A throwaway CA, a server certificate valid for 127.0.0.1/localhost (subjectAltName: Go and
 * Node check SANs, not the CN) and a client certificate, made with openssl in `dir`.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoopbackPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Issues another server certificate (same CA, same SANs) into the given files: rotation. */
  reissueServer(cert: string, key: string, cn: string): Promise<void>;
}

export async function makeLoopbackPki(dir: string): Promise<LoopbackPki> {
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-subj', '/CN=ovs-telemetry test CA', '-keyout', path('ca-key.pem'), '-out', path('ca-cert.pem'));
  const issue = async (cert: string, key: string, cn: string, extensions: string): Promise<void> => {
    const ext = `${cert}.ext`;
    await run('sh', ['-c', `printf '%s\\n' "$1" > "$2"`, 'sh', extensions, ext]);
    await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`,
      '-keyout', key, '-out', `${cert}.csr`);
    await openssl('x509', '-req', '-in', `${cert}.csr`, '-CA', path('ca-cert.pem'), '-CAkey', path('ca-key.pem'),
      '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert);
  };
  const serverExt = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth';
  await issue(path('server-cert.pem'), path('server-key.pem'), 'ovs-telemetry test server', serverExt);
  await issue(path('client-cert.pem'), path('client-key.pem'), 'ovs-telemetry test client', 'subjectAltName=DNS:prometheus.test\nextendedKeyUsage=clientAuth');
  return {
    caCert: path('ca-cert.pem'),
    caKey: path('ca-key.pem'),
    serverCert: path('server-cert.pem'),
    serverKey: path('server-key.pem'),
    clientCert: path('client-cert.pem'),
    clientKey: path('client-key.pem'),
    reissueServer: (cert, key, cn) => issue(cert, key, cn, serverExt),
  };
}
